"""Emit the cffi API-mode wrapper for fastgrad's C kernels.

Usage: build_ffi.py HEADER OUTPUT.c

The cdef is the public header itself, minus its preprocessor lines (cffi's parser
does not run the preprocessor); CMake compiles the emitted C with csrc/*.c.
"""
import sys

import cffi


def cdef_from_header(text):
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def main(header, output):
    with open(header) as f:
        text = f.read()
    ffibuilder = cffi.FFI()
    ffibuilder.cdef(cdef_from_header(text))
    ffibuilder.set_source("fastgrad._fastgrad_c", '#include "fastgrad.h"')
    ffibuilder.emit_c_code(output)


if __name__ == "__main__":
    main(*sys.argv[1:])
