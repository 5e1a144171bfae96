"""Whether kernel calls are being recorded (fastgrad.compile), at the bottom of the house so
that the kernel bridge can report each call, the allocator each new buffer and the Tensor each
read of its values. `recorder` is None except while a compiled function records its plan."""
recorder = None


def refuse(why):
    """What the recorded function does that a replay would not."""
    if recorder is not None:
        recorder.refuse(why)


def read(what):
    """A read of tensor values into Python: the function may branch on data a replay would not
    see."""
    refuse(f"{what} reads a tensor's values into Python")


def constant(array):
    """Python data a kernel copies into a tensor: a replay reuses it, so the recordings must
    agree on its values."""
    if recorder is not None:
        recorder.constant(array)
