"""`MultiWorkerMirroredStrategy` with the two reductions Keras 3's TF trainer gets wrong.

Keras 3 does not support `tf.distribute.MultiWorkerMirroredStrategy`
(https://github.com/keras-team/keras/issues/20585). With Keras 3.15 and TF 2.21
`fit` fails in two places, both calls to `strategy.reduce`:

1. `Trainer._maybe_symbolic_build` reduces a whole data batch (a tuple of
   `PerReplica`); the collective strategy expects one value and raises
   `ValueError: Attempt to convert a value (PerReplica:{...}) ... to a Tensor`.
2. `reduce_per_replica` reduces each scalar log (loss, metrics) with `axis=0`:
   `ValueError: Invalid reduction dimension 0 for input with 0 dimensions`.

This subclass reduces nested values one by one and drops the axis for
scalars; everything else is the TensorFlow strategy. It is only as good as
Keras's untested multi-worker path: see the README for what was checked.
"""

import tensorflow as tf


class MultiWorkerStrategy(tf.distribute.MultiWorkerMirroredStrategy):
    """`tf.distribute.MultiWorkerMirroredStrategy`, configured by `TF_CONFIG`, usable by Keras 3 `fit`."""

    def reduce(self, reduce_op, value, axis):
        return tf.nest.map_structure(lambda v: self._reduce_one(reduce_op, v, axis), value)

    def _reduce_one(self, reduce_op, value, axis):
        local = self.experimental_local_results(value)[0]
        if axis is not None and tf.convert_to_tensor(local).shape.rank == 0:
            axis = None  # a scalar log: the mean over replicas is the whole reduction
        return super().reduce(reduce_op, value, axis)
