"""The chainrule application: the `chainrule` command, built on the `autograd` and `nn` library.

    chainrule/cli.py       the command line: arguments, and `main`, which runs a command
    chainrule/mnist.py     what the commands share: MNIST's shapes, its data, a saved classifier
    chainrule/train.py     `chainrule train`: train, save, measure, write the report
    chainrule/evaluate.py  `chainrule evaluate`: test accuracy of a saved model
    chainrule/predict.py   `chainrule predict`: the digit in each image
    chainrule/images.py    reading an image file as an MNIST digit
    chainrule/export.py    `chainrule export`: a saved model as ONNX, safetensors or torch
    chainrule/trace.py     `chainrule trace`: the backprop explorer page for an expression
    chainrule/report.py    the run's pictures and report.md
    chainrule/demo.py      a 2-2-1 network of scalar Values, its gradients and its graph

The library never imports this package.
"""
