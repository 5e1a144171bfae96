"""torch.linalg: the norms and the QR decomposition."""
from .ops.decompositions import qr
from .ops.norms import linalg_norm as norm
from .ops.norms import matrix_norm, vector_norm

__all__ = ["matrix_norm", "norm", "qr", "vector_norm"]
