"""The "valid" cross-correlation that chapters 2 to 5 compute by hand, in one place.

Chapter 2 writes it as a loop over the output's cells, for one image and one kernel; this
is the same sum, written as a loop over the kernel's few cells so that it is quick enough
for the backward pass of chapter 5, and for batches and channels (NHWC images, HWIO
kernels, as ``tf.nn.conv2d`` takes them).
"""

import numpy as np


def corr2d(X, K):
    """'Valid' cross-correlation, stride 1, what ``tf.nn.conv2d(X, K, 1, "VALID")`` computes.

    Either one matrix and one kernel, chapter 2's case: ``X`` of shape ``(H, W)`` and ``K``
    of shape ``(kh, kw)`` give ``(H - kh + 1, W - kw + 1)``. Or a batch with channels:
    ``X`` of shape ``(N, H, W, C_in)`` and ``K`` of shape ``(kh, kw, C_in, C_out)`` give
    ``(N, H - kh + 1, W - kw + 1, C_out)``, in the inputs' common dtype (integers stay
    integers, as in chapter 2's figures).
    """
    X, K = np.asarray(X), np.asarray(K)
    if X.ndim == 2 and K.ndim == 2:
        return corr2d(X[None, :, :, None], K[:, :, None, None])[0, :, :, 0]
    kh, kw = K.shape[:2]
    Ho, Wo = X.shape[1] - kh + 1, X.shape[2] - kw + 1
    Y = np.zeros((X.shape[0], Ho, Wo, K.shape[3]), np.result_type(X, K))
    for u in range(kh):  # loop over the kernel's few cells, not the output's many
        for v in range(kw):
            Y += X[:, u:u + Ho, v:v + Wo, :] @ K[u, v]  # (N, Ho, Wo, C_in) @ (C_in, C_out)
    return Y
