"""Ctrl-C on demand: an `nn.train.evaluate` that raises KeyboardInterrupt on its Nth call."""

import nn.train


def interrupting_evaluate(at_call: int):
    """A stand-in for `nn.train.evaluate` that interrupts its call number `at_call` (from 1)
    and otherwise evaluates as usual: Ctrl-C landing during that validation."""
    calls = []
    real = nn.train.evaluate

    def evaluate(*args, **kwargs):
        calls.append(1)
        if len(calls) == at_call:
            raise KeyboardInterrupt
        return real(*args, **kwargs)
    return evaluate
