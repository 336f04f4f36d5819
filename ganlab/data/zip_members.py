"""Reading a zip archive's members with a hard bound on what they inflate to.

A zip's directory states each member's size, but nothing holds the compressed data to it:
`ZipFile.read()` inflates a whole member before cutting it to the stated size (and its
bzip2 and LZMA readers inflate everything they are fed in one call), so an 897-byte zip
can become 1 GiB of memory. Here a member is inflated a piece at a time with
`max_length` on every call and stops one byte past its stated size: the bytes produced
for a member never exceed its stated size + 1, whatever the archive claims. Stored,
deflate and bzip2 members are read (what zip tools write); other methods are refused.
"""

from __future__ import annotations

import bz2
import stat
import struct
import zipfile
import zlib

CHUNK = 64 * 1024  # compressed bytes fed, and inflated bytes taken, per call
ARCHIVE_EXTENSIONS = frozenset({".zip", ".7z", ".rar", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".zst"})

DAMAGED = "unreadable or corrupt"  # the same words as a corrupt image (image_files.UNREADABLE)
SIZE_LIE = "larger than the zip says (damaged, or a zip bomb)"
UNSUPPORTED = "compressed with a method this loader does not read (zip it again with standard compression)"


class MemberSkipped(Exception):
    """A member cannot be read safely; `reason` says why, in words for a user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def directory_entries_at_most(data: bytes) -> int:
    """An upper bound on the entries `zipfile.ZipFile` would parse, found without parsing:
    every central-directory entry starts with this signature (ZipFile refuses one that
    does not). Lets a caller refuse an archive of millions of tiny entries up front."""
    return data.count(b"PK\x01\x02")


def is_link(info: zipfile.ZipInfo) -> bool:
    """A symbolic link stored by a Unix zip tool (its content is the link's target)."""
    return stat.S_ISLNK(info.external_attr >> 16)


def _raw_data(data: memoryview, info: zipfile.ZipInfo) -> memoryview:
    """The member's compressed bytes, located through its local header."""
    start = info.header_offset
    header = bytes(data[start:start + zipfile.sizeFileHeader])
    if len(header) < zipfile.sizeFileHeader:
        raise MemberSkipped(DAMAGED)
    fields = struct.unpack(zipfile.structFileHeader, header)
    if fields[0] != zipfile.stringFileHeader:
        raise MemberSkipped(DAMAGED)
    begin = start + zipfile.sizeFileHeader + fields[10] + fields[11]  # + name and extra-field lengths
    raw = data[begin:begin + info.compress_size]
    if len(raw) < info.compress_size:
        raise MemberSkipped(DAMAGED)
    return raw


class _Sink:
    """Collects inflated pieces and refuses to hold more than `limit` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit, self.pieces, self.size, self.crc = limit, [], 0, 0

    def room(self) -> int:
        """How many bytes to ask the decompressor for: up to one past the limit."""
        return max(1, min(CHUNK, self.limit + 1 - self.size))

    def add(self, piece: bytes) -> None:
        self.size += len(piece)
        if self.size > self.limit:
            raise MemberSkipped(SIZE_LIE)
        self.crc = zlib.crc32(piece, self.crc)
        self.pieces.append(piece)


def _inflate_deflate(raw: memoryview, sink: _Sink) -> None:
    d = zlib.decompressobj(-zlib.MAX_WBITS)
    for i in range(0, len(raw), CHUNK):
        buf = raw[i:i + CHUNK]
        while buf and not d.eof:
            sink.add(d.decompress(buf, sink.room()))
            buf = d.unconsumed_tail
        if d.eof:
            return
    while not d.eof:  # input all fed; output may still be pending
        piece = d.decompress(b"", sink.room())
        if not piece:
            break
        sink.add(piece)
    if not d.eof:
        raise MemberSkipped(DAMAGED)  # cut short


def _inflate_bzip2(raw: memoryview, sink: _Sink) -> None:
    d = bz2.BZ2Decompressor()
    for i in range(0, len(raw), CHUNK):
        sink.add(d.decompress(raw[i:i + CHUNK], sink.room()))
        while not d.eof and not d.needs_input:
            sink.add(d.decompress(b"", sink.room()))
        if d.eof:
            return
    if not d.eof:
        raise MemberSkipped(DAMAGED)


def read_member(data: bytes | memoryview, info: zipfile.ZipInfo, counter: list[int] | None = None) -> bytes:
    """The member's content, inflated piece by piece and never past its stated size + 1
    byte. Raises MemberSkipped when it is larger (or smaller) than stated, damaged (CRC),
    encrypted or compressed with an unsupported method. `counter[0]` grows by the bytes
    actually inflated (also for a member then refused)."""
    if info.flag_bits & 0x1:
        raise MemberSkipped(DAMAGED + " (encrypted)")
    raw = _raw_data(memoryview(data), info)
    sink = _Sink(info.file_size)
    try:
        if info.compress_type == zipfile.ZIP_STORED:
            sink.add(bytes(raw[:info.file_size + 1]))
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            _inflate_deflate(raw, sink)
        elif info.compress_type == zipfile.ZIP_BZIP2:
            _inflate_bzip2(raw, sink)
        else:
            raise MemberSkipped(UNSUPPORTED)
    except (zlib.error, OSError, EOFError, ValueError):
        raise MemberSkipped(DAMAGED) from None
    finally:
        if counter is not None:
            counter[0] += sink.size
    if sink.size != info.file_size or sink.crc != info.CRC:
        raise MemberSkipped(DAMAGED)
    return b"".join(sink.pieces)
