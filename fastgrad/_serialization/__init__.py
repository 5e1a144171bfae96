"""The parts of fastgrad.save / fastgrad.load: torch's zip container (zipformat), the pickler that
writes tensors as torch does (pickler), and the restricted unpickler that rebuilds them without
running code from the file (unpickler)."""
