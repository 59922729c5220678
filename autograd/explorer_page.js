// The backprop explorer's player (see autograd/explorer.py). The graph is drawn once;
// stepping only changes classes and texts. Texts go in with textContent, never as HTML.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("explorer-data").textContent);
  const $ = (id) => document.getElementById(id);
  const svg = document.querySelector("#view svg");
  const boxes = data.boxes.map((box, i) => {
    const element = $("b" + i);
    return { box: box, element: element, data: element.querySelector("text.data"),
             grad: element.querySelector("text.grad") };
  });
  const edges = data.edges.map((edge, i) => {
    const element = $("e" + i);
    return { edge: edge, element: element, label: element.querySelector("text") };
  });
  const slider = $("slider");
  let mode = "backward";
  let step = 0;
  let timer = null;
  let picked = null;  // the box whose details the inspector shows

  function frames() { return mode === "backward" ? data.backward : data.forward; }

  // the gradient line of a box at backward step k: "?", a running total, or the final value
  function gradText(box, k) {
    const grad = box.grad;
    if (!grad) return null;
    if (k >= grad.done) return grad.final;
    let text = "grad ?";
    for (const [at, total] of grad.partials) if (at <= k) text = total;
    return text;
  }

  function render() {
    const frame = frames()[step];
    const current = new Set(frame.cur);
    const inputs = new Set();
    const backward = mode === "backward";
    for (const { edge, element, label } of edges) {
      const at = backward ? edge.back : edge.fwd;
      const text = backward ? edge.label : edge.flabel;
      const passing = at === step && at !== undefined && at !== null;
      if (passing && text !== undefined) inputs.add(edge.tail);
      const passed = backward && edge.label !== undefined && edge.back !== null && edge.back < step;
      element.classList.toggle("passing", passing);
      element.classList.toggle("passed", passed);
      element.classList.toggle("pending", !backward && (edge.fwd || 0) > step);
      label.textContent = (passing || passed) && text !== undefined ? text : "";
    }
    boxes.forEach(({ box, element, data: dataLine, grad }, i) => {
      const evaluated = backward || (box.fwd || 0) <= step;
      element.classList.toggle("current", current.has(i));
      element.classList.toggle("input", inputs.has(i) && !current.has(i));
      element.classList.toggle("pending", !evaluated);
      if (dataLine) dataLine.textContent = evaluated ? box.data : "data ?";
      if (grad) grad.textContent = backward ? gradText(box, step) : "grad ?";
    });
    const last = frames().length - 1;
    $("where").textContent = (backward ? "" : "forward ") + "step " + step + " of " + last;
    $("text").textContent = frame.text;
    slider.max = String(last);
    slider.value = String(step);
    $("forward").setAttribute("aria-pressed", String(!backward));
    $("backward").setAttribute("aria-pressed", String(backward));
    inspect(picked);
  }

  function show(newMode, newStep) {
    mode = newMode;
    step = Math.max(0, Math.min(newStep, frames().length - 1));
    render();
  }

  // next step; the end of the forward pass leads into the backward pass
  function next() {
    if (step < frames().length - 1) show(mode, step + 1);
    else if (mode === "forward") show("backward", 0);
    else return false;
    return true;
  }

  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    $("play").textContent = "play";
  }

  function togglePlay() {
    if (timer !== null) { stop(); return; }
    if (mode === "backward" && step === frames().length - 1) show(mode, 0);
    $("play").textContent = "pause";
    timer = setInterval(() => { if (!next()) stop(); }, 900);
  }

  function inspect(index) {
    const panel = $("inspect");
    if (index === null) return;
    const box = data.boxes[index];
    const list = document.createElement("dl");
    const rows = box.info.slice();
    if (box.grad && mode === "backward") rows.push(["gradient so far", gradText(box, step)]);
    for (const [name, text] of rows) {
      const term = document.createElement("dt");
      term.textContent = name;
      const value = document.createElement("dd");
      value.textContent = text;
      list.append(term, value);
    }
    panel.replaceChildren(list);
  }

  boxes.forEach(({ element }, i) => {
    element.addEventListener("mouseenter", () => inspect(i));
    element.addEventListener("click", () => {
      if (picked !== null) boxes[picked].element.classList.remove("picked");
      picked = i;
      element.classList.add("picked");
      inspect(i);
    });
    element.addEventListener("mouseleave", () => inspect(picked));
  });

  $("forward").addEventListener("click", () => { stop(); show("forward", 0); });
  $("backward").addEventListener("click", () => { stop(); show("backward", 0); });
  $("first").addEventListener("click", () => { stop(); show(mode, 0); });
  $("prev").addEventListener("click", () => { stop(); show(mode, step - 1); });
  $("next").addEventListener("click", () => { stop(); next(); });
  $("last").addEventListener("click", () => { stop(); show(mode, frames().length - 1); });
  $("play").addEventListener("click", togglePlay);
  slider.addEventListener("input", () => { stop(); show(mode, Number(slider.value)); });
  document.addEventListener("keydown", (event) => {
    const keys = {
      ArrowRight: () => next(), ArrowLeft: () => show(mode, step - 1),
      Home: () => show(mode, 0), End: () => show(mode, frames().length - 1),
    };
    if (event.key === " " && event.target.tagName !== "BUTTON") {
      event.preventDefault();
      togglePlay();
    } else if (keys[event.key]) {
      event.preventDefault();  // the slider would step a second time
      stop();
      keys[event.key]();
    }
  });

  // zoom (wheel, buttons) and pan (drag) by moving the viewBox; positions never change
  const home = svg.viewBox.baseVal;
  const whole = [home.x, home.y, home.width, home.height];
  // the whole graph, but a small one is not blown up past 1.5 times its size
  function fitted() {
    const area = svg.getBoundingClientRect();
    const [x, y, w, h] = whole;
    const grow = Math.min(area.width / w, area.height / h) / 1.5;
    if (!(grow > 1)) return whole.slice();
    return [x + w / 2 - w * grow / 2, y + h / 2 - h * grow / 2, w * grow, h * grow];
  }
  let view = whole.slice();
  function setView(box) { view = box; svg.setAttribute("viewBox", box.join(" ")); }
  function zoom(factor, cx, cy) {
    const [x, y, w, h] = view;
    setView([cx - (cx - x) * factor, cy - (cy - y) * factor, w * factor, h * factor]);
  }
  function pointer(event) {
    const point = new DOMPoint(event.clientX, event.clientY);
    return point.matrixTransform(svg.getScreenCTM().inverse());
  }
  svg.addEventListener("wheel", (event) => {
    event.preventDefault();
    const at = pointer(event);
    zoom(event.deltaY > 0 ? 1.15 : 1 / 1.15, at.x, at.y);
  }, { passive: false });
  const centre = () => [view[0] + view[2] / 2, view[1] + view[3] / 2];
  $("zoom-in").addEventListener("click", () => zoom(1 / 1.3, ...centre()));
  $("zoom-out").addEventListener("click", () => zoom(1.3, ...centre()));
  $("fit").addEventListener("click", () => setView(fitted()));
  let drag = null;
  svg.addEventListener("pointerdown", (event) => {
    drag = pointer(event);
    $("view").classList.add("dragging");
  });
  svg.addEventListener("pointermove", (event) => {
    if (drag === null) return;
    const at = pointer(event);
    setView([view[0] - (at.x - drag.x), view[1] - (at.y - drag.y), view[2], view[3]]);
  });
  const release = () => { drag = null; $("view").classList.remove("dragging"); };
  svg.addEventListener("pointerup", release);
  svg.addEventListener("pointerleave", release);

  $("note").textContent = data.note;
  setView(fitted());
  render();
})();
