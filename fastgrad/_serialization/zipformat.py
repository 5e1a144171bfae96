"""torch's checkpoint container: a zip archive as PyTorchStreamWriter (miniz) writes it. Every
record is stored uncompressed, its data aligned to 64 bytes by an 'FB' extra field of 'Z'
padding, followed by a data descriptor; then the central directory and the zip64 end records.
Written in one forward pass, so any writable stream takes it. Reading uses zipfile."""
import struct
import zlib

ALIGNMENT = 64          # torch.utils.serialization.config.save.storage_alignment
FILE_VERSION = b"3\n"   # what torch 2.13 writes as <archive>/version
MAX_FILE_VERSION = 10   # the newest version torch 2.13 reads (kMaxSupportedFileFormatVersion)
ZIP32_LIMIT = 0xFFFFFFFF  # sizes and offsets from here on take zip64 fields
_IN_ZIP64 = 0xFFFFFFFF   # what a 32-bit field holds when its value is in the zip64 field

_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_UTF8, _DESCRIPTOR = 0x0800, 0x0008  # names are UTF-8; sizes follow the data (not if empty)


class ZipWriter:
    """Writes records to `write` (a file's write method) in miniz's layout, counting offsets from
    where it starts."""

    def __init__(self, write, archive_name):
        self._write = write
        self.prefix = archive_name + "/"
        self.offset = 0
        self.entries = []

    def _put(self, data):
        self._write(data)
        self.offset += len(data)

    def record(self, name, data):
        """One record: data is a bytes-like object of single bytes (a memoryview of a storage)."""
        name = (self.prefix + name).encode("utf-8")
        size, at = len(data), self.offset
        big_size, big_at = size >= ZIP32_LIMIT, at >= ZIP32_LIMIT
        wide = (struct.pack("<QQ", size, size) if big_size else b"") + (
            struct.pack("<Q", at) if big_at else b"")
        zip64 = struct.pack("<HH", 1, len(wide)) + wide if wide else b""
        pad = -(at + _LOCAL.size + len(name) + len(zip64) + 4) % ALIGNMENT
        extra = zip64 + b"FB" + struct.pack("<H", pad) + b"Z" * pad
        flags = _UTF8 | (_DESCRIPTOR if size else 0)
        self._put(_LOCAL.pack(b"PK\x03\x04", 0, flags, 0, 0, 0, 0, 0, 0, len(name), len(extra)))
        self._put(name + extra)
        self._put(data)
        crc = zlib.crc32(data)
        if size:
            self._put(b"PK\x07\x08" + struct.pack("<LQQ" if wide else "<LLL", crc, size, size))
        self.entries.append((name, crc, size, at))

    def finish(self):
        """The central directory and the (zip64) end of central directory records."""
        start = self.offset
        for name, crc, size, at in self.entries:
            big_size, big_at = size >= ZIP32_LIMIT, at >= ZIP32_LIMIT
            wide = (struct.pack("<QQ", size, size) if big_size else b"") + (
                struct.pack("<Q", at) if big_at else b"")
            extra = struct.pack("<HH", 1, len(wide)) + wide if wide else b""
            small_size = _IN_ZIP64 if big_size else size
            flags = _UTF8 | (_DESCRIPTOR if size else 0)
            self._put(_CENTRAL.pack(b"PK\x01\x02", 0, 0, flags, 0, 0, 0, crc, small_size,
                                    small_size, len(name), len(extra), 0, 0, 0, 0,
                                    _IN_ZIP64 if big_at else at) + name + extra)
        n, size, end64 = len(self.entries), self.offset - start, self.offset
        self._put(struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 0x031E, 0x2D, 0, 0, n, n, size,
                              start))
        self._put(struct.pack("<4sLQL", b"PK\x06\x07", 0, end64, 1))
        self._put(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, min(n, 0xFFFF), min(n, 0xFFFF),
                              size if size < ZIP32_LIMIT else _IN_ZIP64,
                              start if start < ZIP32_LIMIT else _IN_ZIP64, 0))
