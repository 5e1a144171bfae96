"""fastgrad.save / fastgrad.load, as torch.save / torch.load, in torch's own file format: what
fastgrad saves opens with torch.load(f, weights_only=True), and torch's files (the zip format, and
the legacy format of _use_new_zipfile_serialization=False) open here. Loading never runs code from
the file (see _serialization.unpickler); saving to a path is atomic (a temporary file in the same
folder, flushed, fsynced and renamed over the target), so a crash never costs the previous file."""
import contextlib
import errno
import io
import os
import pickle
import secrets
import stat
import struct
import sys
import zipfile
import zlib

import numpy as np

from ._serialization import zipformat
from ._serialization.pickler import pickle_object
from ._serialization.unpickler import (LoadedStorage, StorageType, Unpickler, UnpicklingError,
                                       add_safe_globals, clear_safe_globals, get_safe_globals,
                                       safe_globals)

__all__ = ["save", "load", "add_safe_globals", "clear_safe_globals", "get_safe_globals",
           "safe_globals"]
DEFAULT_PROTOCOL = 2
MAGIC_NUMBER = 0x1950A86A20F9469CFC6C  # the legacy format's header, as torch writes it
PROTOCOL_VERSION = 1001
_CHUNK = 1 << 24
# what zipfile raises on damaged archives (bad names, flags, headers)
_ZIP_ERRORS = (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError,
               struct.error)
_CORRUPT = ("the checkpoint is truncated or corrupted (was it saved completely, copied "
            "completely?)")


# ---- save ------------------------------------------------------------------------------------
def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization=True, _disable_byteorder_record=False):
    """torch.save: obj (tensors, Parameters, and numbers, strings, None, dtypes, Sizes in lists,
    tuples, dicts, OrderedDicts) to f, a path (written atomically) or a writable file object."""
    if pickle_module is not pickle:
        raise ValueError("fastgrad.save pickles with the standard pickle module only")
    if not 2 <= pickle_protocol <= pickle.HIGHEST_PROTOCOL:
        raise ValueError(f"fastgrad.save: pickle_protocol must be 2 to "
                         f"{pickle.HIGHEST_PROTOCOL} (torch files need a binary protocol), got "
                         f"{pickle_protocol}")

    def write(file, archive):
        if _use_new_zipfile_serialization:
            _write_zip(obj, file, archive, pickle_protocol, not _disable_byteorder_record)
        else:
            _write_legacy(obj, file, pickle_protocol)

    if isinstance(f, (str, os.PathLike)):
        _save_atomically(os.fspath(f), write)
    elif hasattr(f, "write"):
        write(f, "archive")
        if hasattr(f, "flush"):
            f.flush()
    else:
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a "
                             "'write' attribute")


def _write_zip(obj, file, archive, protocol, byteorder_record):
    pkl = io.BytesIO()
    storages = pickle_object(obj, pkl, protocol)
    out = zipformat.ZipWriter(file.write, archive)
    out.record("data.pkl", pkl.getbuffer())
    out.record(".format_version", b"1")
    out.record(".storage_alignment", str(zipformat.ALIGNMENT).encode())
    if byteorder_record:
        out.record("byteorder", sys.byteorder.encode())
    for key, storage in storages.items():
        out.record(f"data/{key}", storage.bytes())
    out.record("version", zipformat.FILE_VERSION)
    # torch's id is a hash of the record names and contents: one of ours, as deterministic
    names = zlib.crc32(b"".join(name for name, *_ in out.entries))
    crcs = zlib.crc32(b"".join(struct.pack("<L", crc) for _, crc, *_ in out.entries))
    out.record(".data/serialization_id", f"{names:020d}{crcs:020d}".encode())
    out.finish()


def _write_legacy(obj, file, protocol):
    """torch's format before 1.6: three header pickles, the object, the sorted storage keys, then
    each storage as its element count (int64) and bytes."""
    for header in (MAGIC_NUMBER, PROTOCOL_VERSION,
                   {"protocol_version": PROTOCOL_VERSION, "little_endian": sys.byteorder ==
                    "little", "type_sizes": {"short": 2, "int": 4, "long": 4}}):
        pickle.dump(header, file, protocol=protocol)
    storages = pickle_object(obj, file, protocol, legacy=True)
    keys = sorted(storages)
    pickle.dump(keys, file, protocol=protocol)
    for key in keys:
        storage = storages[key]
        file.write(struct.pack("<q", storage.nbytes // storage.dtype.itemsize))
        file.write(storage.bytes())


def _save_atomically(path, write):
    """Writes to a new file in the target's folder, flushes and fsyncs it, then renames it over the
    target (and fsyncs the folder): the target is always the old file or the whole new one."""
    target = os.path.realpath(path) if os.path.islink(path) else path
    if os.path.isdir(target):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    folder = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(folder):
        raise RuntimeError(f"Parent directory {os.path.dirname(path) or folder} does not exist.")
    name = os.path.basename(target)
    temporary = os.path.join(folder, f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    # 0o666 as open() would: the umask applies; an existing target's mode is kept below
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                 0o666)
    try:
        with os.fdopen(fd, "wb") as file:
            write(file, os.path.splitext(name)[0] or "archive")
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError, AttributeError):  # not every system opens folders
        folder_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(folder_fd)
        finally:
            os.close(folder_fd)


# ---- load ------------------------------------------------------------------------------------
def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """torch.load: the object saved in f (a path or a readable file object) with its tensors on
    the CPU. Only tensors, storages, numbers, strings, bytes, dtypes, Sizes and the containers
    list, tuple, dict, OrderedDict, set are rebuilt, as torch's weights_only=True does, whatever
    weights_only says: fastgrad never runs code from a file. mmap is accepted (for a path, as
    torch) and the data read into memory."""
    if pickle_module not in (None, pickle):
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    encoding = pickle_load_args.pop("encoding", "utf-8")
    if pickle_load_args:
        raise TypeError(f"load() got unexpected keyword arguments {sorted(pickle_load_args)}")
    restore = _restore_location(map_location)
    if mmap and not isinstance(f, (str, os.PathLike)):
        raise ValueError("f must be a file path in order to use the mmap argument")
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as file:
            return _load_file(file, restore, encoding, os.fspath(f))
    if not hasattr(f, "read"):
        raise TypeError(f"fastgrad.load: expected a path or a file object, got {type(f).__name__}")
    if not (hasattr(f, "seekable") and f.seekable()):
        f = io.BytesIO(f.read())
    return _load_file(f, restore, encoding, getattr(f, "name", "the file"))


def _load_file(file, restore, encoding, name):
    start = file.tell()
    head = file.read(4)
    file.seek(start)
    if not head:
        raise EOFError(f"fastgrad.load: {name!s} is empty (0 bytes), not a checkpoint; was it "
                       f"saved completely?")
    if head == b"PK\x03\x04":
        return _load_zip(file, restore, encoding)
    return _load_legacy(file, restore, encoding)


def _restore_location(map_location):
    """restore(storage, location): the storage on the CPU, or torch's error for a device fastgrad
    does not have."""
    def on_cpu(storage, location):
        location = location.decode("ascii") if isinstance(location, bytes) else str(location)
        if location == "cpu":
            return storage
        if location.startswith("cuda"):
            raise RuntimeError("Attempting to deserialize object on a CUDA device but "
                               "torch.cuda.is_available() is False. If you are running on a "
                               "CPU-only machine, please use torch.load with "
                               "map_location=torch.device('cpu') to map your storages to the CPU.")
        raise RuntimeError(f"don't know how to restore data location of "
                           f"torch.storage.UntypedStorage (tagged with {location})")

    if map_location is None:
        return on_cpu
    if isinstance(map_location, dict):
        return lambda storage, location: on_cpu(storage, map_location.get(location, location))
    if callable(map_location):
        def mapped(storage, location):
            out = map_location(storage, location)
            if out is None:
                return on_cpu(storage, location)
            if type(out) is not LoadedStorage:
                raise TypeError(f"fastgrad.load: map_location returned {type(out).__name__}; "
                                f"fastgrad storages live on the CPU (return the storage or None)")
            return out
        return mapped
    return lambda storage, location: on_cpu(storage, map_location)


def _storage_dtype(pid, n):
    if len(pid) != n or type(pid[1]) is not StorageType or type(pid[2]) is not str or \
            type(pid[4]) is not int or pid[4] < 0:
        raise UnpicklingError(f"fastgrad.load: a malformed storage id {pid!r:.200}")
    return pid[1].dtype


class _Zip:
    """The records of a torch zip checkpoint, read with the checks a hostile file needs."""

    def __init__(self, file):
        file.seek(0, 2)
        self.size = file.tell()
        file.seek(0)
        try:
            self.zip = zipfile.ZipFile(file)
        except _ZIP_ERRORS as error:
            raise RuntimeError(f"PytorchStreamReader failed reading zip archive: failed finding "
                               f"central directory ({error}): {_CORRUPT}") from None
        names = self.zip.namelist()
        if not names:
            raise RuntimeError(f"fastgrad.load: the zip archive holds no records: {_CORRUPT}")
        self.prefix = names[0].split("/", 1)[0] + "/" if "/" in names[0] else ""

    def info(self, name):
        try:
            info = self.zip.getinfo(self.prefix + name)
        except KeyError:
            raise RuntimeError(f"PytorchStreamReader failed locating file {name}: file not "
                               f"found: {_CORRUPT}") from None
        if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size or \
                info.header_offset + info.compress_size > self.size:
            raise RuntimeError(f"fastgrad.load: record {name} is compressed or reaches past the "
                               f"end of the file: {_CORRUPT}")
        return info

    def has(self, name):
        return self.prefix + name in self.zip.NameToInfo

    def read_into(self, name, out):
        """The record's bytes into out (a writable byte buffer of its size); the CRC is checked."""
        try:
            with self.zip.open(self.info(name)) as record:
                view, got = memoryview(out), 0
                while got < len(view):
                    n = record.readinto(view[got:got + _CHUNK])
                    if not n:
                        raise EOFError("the record ends early")
                    got += n
                record.read(1)  # reaching the end checks the CRC
        except _ZIP_ERRORS as error:
            raise RuntimeError(f"fastgrad.load: record {name} cannot be read ({error}): "
                               f"{_CORRUPT}") from None

    def read(self, name):
        out = bytearray(self.info(name).file_size)
        self.read_into(name, out)
        return bytes(out)


def _load_zip(file, restore, encoding):
    archive = _Zip(file)
    if archive.has("constants.pkl"):
        raise RuntimeError("fastgrad.load: this is a TorchScript archive (torch.jit.save); "
                           "fastgrad reads torch.save checkpoints only")
    version = archive.read(".data/version" if archive.has(".data/version") else "version")
    if not version.strip().isdigit() or not 1 <= int(version) <= zipformat.MAX_FILE_VERSION:
        raise RuntimeError(f"Attempted to read a PyTorch file with version "
                           f"{version.strip().decode('ascii', 'replace')[:20]}, but the maximum "
                           f"supported version for reading is {zipformat.MAX_FILE_VERSION}: it "
                           f"was written by a newer PyTorch than fastgrad reads")
    byteorder = archive.read("byteorder").decode("ascii", "replace") if archive.has(
        "byteorder") else "little"
    if byteorder not in ("little", "big"):
        raise ValueError("Unknown endianness type: " + byteorder)
    loaded = {}

    def persistent_load(pid):
        dtype = _storage_dtype(pid, 5)
        key, location, numel = pid[2:]
        if key in loaded:
            return _retyped(loaded[key], dtype)
        nbytes, info = numel * dtype.itemsize, archive.info(f"data/{key}")
        if info.file_size != nbytes:
            raise RuntimeError(f"record size ({info.file_size} bytes) does not match expected "
                               f"size ({nbytes} bytes = {numel} elements * {dtype.itemsize} "
                               f"bytes/element) for dtype {dtype._torch_name}")
        data = np.frombuffer(bytearray(nbytes), np.uint8)
        archive.read_into(f"data/{key}", data)
        if byteorder != sys.byteorder and dtype.itemsize > 1:
            data.view(dtype.np).byteswap(inplace=True)
        storage = loaded[key] = restore(LoadedStorage(data, dtype), location)
        return storage

    pkl = io.BytesIO(archive.read("data.pkl"))
    return Unpickler(pkl, persistent_load, encoding).load()


def _retyped(storage, dtype):
    """The same bytes named with another dtype (a storage saved both untyped and typed)."""
    if storage.dtype is dtype:
        return storage
    if storage.data.size % dtype.itemsize:
        raise UnpicklingError(f"fastgrad.load: a storage of {storage.data.size} bytes cannot "
                              f"hold {dtype} elements")
    return LoadedStorage(storage.data, dtype)


def _load_legacy(file, restore, encoding):
    start = file.tell()
    file.seek(0, 2)
    size = file.tell() - start
    file.seek(start)
    try:
        magic = Unpickler(file, None, encoding).load()
    except UnpicklingError:
        magic = None
    if magic != MAGIC_NUMBER:
        raise RuntimeError("Invalid magic number; corrupt file? (it is neither of torch.save's "
                           "formats, a zip archive or the legacy pickles)")
    protocol_version = Unpickler(file, None, encoding).load()
    if protocol_version != PROTOCOL_VERSION:
        raise RuntimeError(f"Invalid protocol version: {protocol_version!r:.50}")
    Unpickler(file, None, encoding).load()  # the saving machine's sizes: torch ignores them too
    storages = {}

    def persistent_load(pid):
        dtype = _storage_dtype(pid, 6)
        key, location, numel, view = pid[2:]
        if key not in storages:
            if numel * dtype.itemsize > size:
                raise RuntimeError(f"fastgrad.load: a storage claims {numel} elements, more than "
                                   f"the file's {size} bytes hold: {_CORRUPT}")
            data = np.frombuffer(bytearray(numel * dtype.itemsize), np.uint8)
            storages[key] = restore(LoadedStorage(data, dtype), location)
        storage = _retyped(storages[key], dtype)
        if view is None:
            return storage
        _, offset, count = view
        lo, hi = offset * dtype.itemsize, (offset + count) * dtype.itemsize
        if not 0 <= lo <= hi <= storage.data.size:
            raise UnpicklingError(f"fastgrad.load: a storage view {view!r:.100} is out of bounds")
        return LoadedStorage(storage.data[lo:hi], dtype)

    result = Unpickler(file, persistent_load, encoding).load()
    keys = Unpickler(file, None, encoding).load()
    for key in keys if type(keys) is list else ():
        storage = storages.get(key)
        if storage is None:
            raise RuntimeError(f"fastgrad.load: storage {key!r:.50} is not in the file's "
                               f"object: {_CORRUPT}")
        header = file.read(8)
        count = struct.unpack("<q", header)[0] if len(header) == 8 else -1
        if count * storage.dtype.itemsize != storage.data.size:
            raise RuntimeError(f"storage has wrong byte size: expected "
                               f"{storage.data.size} got {count * storage.dtype.itemsize}: "
                               f"{_CORRUPT}")
        if file.readinto(memoryview(storage.data)) != storage.data.size:
            raise RuntimeError(f"fastgrad.load: storage {key} is truncated: {_CORRUPT}")
    return result
