"""The ops, one module per family, named by what it computes.

    elementwise  add ... softplus, shared by Value and Tensor (and Value's add_n, dot)
    cast         astype
    shape        reshape, transpose, flatten, squeeze, broadcast_to, indexing, concatenate, pad
    reduce       sum, mean, max, min, logsumexp, argmax
    linalg       matmul
    select       clip, maximum, minimum, where
    softmax      softmax, log_softmax, and the one stable log-sum-exp
    fused        linear (with an activation), cross_entropy, squared_error: one node each
    conv         unfold, fold, conv1d, conv2d and their geometry
    pool         max_pool2d, avg_pool2d
    recurrent    input_projections, rnn_sequence, lstm_sequence, hidden_states, lstm_cell

In each module an op's pieces sit together: its public function, its forward, its
gradient rule and its registration in `autograd.op.OPS`. `elementwise` sits below Value
and Tensor (they inherit its operators); every other module builds on Tensor, and those
that give Tensor methods attach them with `autograd.tensor.tensor_method`. `import autograd` imports
them all; this package imports none, so that importing one op module loads only what it
needs.
"""
