#!/usr/bin/env python3
"""Make TorchSharp's libLibTorchSharp.so load with a libstdc++ older than GCC 13 (Debian 12).

The wrapper asks for the symbol version GLIBCXX_3.4.32, which Debian 12's libstdc++ (GCC 12) lacks,
so the dynamic loader refuses it ("version `GLIBCXX_3.4.32' not found"). The only symbol bound to that
version is _ZSt21ios_base_library_initv (std::ios_base_library_init(), GCC 13's iostream init hook);
libtorch itself needs only GLIBCXX_3.4.26. This script makes two byte edits, in place of patchelf:

  1. the symbol's entry in .gnu.version is set to 1 (VER_NDX_GLOBAL): the symbol no longer asks for
     a version, so any definition satisfies it (the test process dlopens an empty shim that defines it);
  2. the GLIBCXX_3.4.32 entry (Elf64_Vernaux) in .gnu.version_r gets VER_FLG_WEAK (0x2): a missing
     version is then no longer fatal for the loader.

Before editing it checks that no other symbol uses GLIBCXX_3.4.32 (for a later TorchSharp whose
wrapper needs more, making the version weak would hide a real missing symbol: it fails instead).
It is idempotent: an already patched file is left as it is. The patched file is written next to the
original and renamed over it, so a hard link into the NuGet cache is never written through.

Usage: patch_libtorchsharp.py PATH/TO/libLibTorchSharp.so   (exit 0: patched or already patched)
"""

import os
import struct
import sys
import tempfile

SYMBOL = b"_ZSt21ios_base_library_initv"
VERSION = b"GLIBCXX_3.4.32"

SHT_DYNSYM = 11
SHT_GNU_VERNEED = 0x6FFFFFFE  # .gnu.version_r
SHT_GNU_VERSYM = 0x6FFFFFFF  # .gnu.version
VER_NDX_GLOBAL = 1
VER_FLG_WEAK = 0x2


def fail(message):
    sys.exit(f"patch_libtorchsharp: error: {message}")


def c_string(data, offset):
    return data[offset:data.index(b"\0", offset)]


def sections(data):
    """Yields (type, offset, size, link, entsize) of every section header of an ELF64 LE file."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        fail("not a 64-bit little-endian ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    for i in range(shnum):
        # Elf64_Shdr: name, type, flags, addr, offset, size, link, info, addralign, entsize
        _, sh_type, _, _, offset, size, link, _, _, entsize = struct.unpack_from(
            "<IIQQQQIIQQ", data, shoff + i * shentsize)
        yield sh_type, offset, size, link, entsize


def patch(data):
    """Returns (list of edits made, list of symbols that use VERSION); edits `data` (a bytearray)."""
    headers = list(sections(data))
    by_type = {h[0]: h for h in headers}
    if not {SHT_DYNSYM, SHT_GNU_VERSYM, SHT_GNU_VERNEED} <= by_type.keys():
        fail("no .dynsym, .gnu.version or .gnu.version_r section")
    _, dynsym_off, dynsym_size, dynstr_index, sym_size = by_type[SHT_DYNSYM]
    dynstr_off = headers[dynstr_index][1]
    versym_off = by_type[SHT_GNU_VERSYM][1]
    _, verneed_off, _, _, _ = by_type[SHT_GNU_VERNEED]

    # .gnu.version_r: a chain of Elf64_Verneed (one per needed library), each with a chain of
    # Elf64_Vernaux (one per version). Find the vernaux of GLIBCXX_3.4.32 and its version index.
    vernaux_flags_at, version_index = None, None
    need = verneed_off
    while True:
        _, cnt, _, aux, next_need = struct.unpack_from("<HHIII", data, need)
        entry = need + aux
        for _ in range(cnt):
            _, flags, other, name, next_aux = struct.unpack_from("<IHHII", data, entry)
            if c_string(data, dynstr_off + name) == VERSION:
                vernaux_flags_at, version_index = entry + 4, other
            entry += next_aux
        if next_need == 0:
            break
        need += next_need
    if vernaux_flags_at is None:
        return [], []  # this build of the wrapper does not ask for GLIBCXX_3.4.32

    # .dynsym and .gnu.version are parallel arrays: one 16-bit version index per symbol
    # (bit 15 = hidden). Collect the symbols bound to GLIBCXX_3.4.32, and the one we redirect.
    users, symbol_versym_at = [], None
    for i in range(dynsym_size // sym_size):
        name = c_string(data, dynstr_off + struct.unpack_from("<I", data, dynsym_off + i * sym_size)[0])
        versym_at = versym_off + 2 * i
        index = struct.unpack_from("<H", data, versym_at)[0] & 0x7FFF
        if name == SYMBOL:
            symbol_versym_at = versym_at
        if index == version_index:
            users.append(name.decode())
    if any(u != SYMBOL.decode() for u in users):
        fail(f"symbols other than {SYMBOL.decode()} need {VERSION.decode()}: {users}; "
             "this wrapper needs a newer libstdc++ (GCC 13+)")
    if symbol_versym_at is None:
        fail(f"{SYMBOL.decode()} not found in .dynsym")

    edits = []
    if struct.unpack_from("<H", data, symbol_versym_at)[0] != VER_NDX_GLOBAL:
        struct.pack_into("<H", data, symbol_versym_at, VER_NDX_GLOBAL)
        edits.append(f".gnu.version[{SYMBOL.decode()}] = 1 (global)")
    flags = struct.unpack_from("<H", data, vernaux_flags_at)[0]
    if not flags & VER_FLG_WEAK:
        struct.pack_into("<H", data, vernaux_flags_at, flags | VER_FLG_WEAK)
        edits.append(f".gnu.version_r[{VERSION.decode()}].vna_flags |= VER_FLG_WEAK")
    return edits, users


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    path = sys.argv[1]
    with open(path, "rb") as f:
        data = bytearray(f.read())
    edits, _ = patch(data)
    if not edits:
        print(f"patch_libtorchsharp: {path}: nothing to do (already patched, or no {VERSION.decode()})")
        return
    # Write a sibling temporary file and rename it over the original (atomic; breaks hard links).
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".libLibTorchSharp.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(temporary, os.stat(path).st_mode)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    print(f"patch_libtorchsharp: {path}: " + "; ".join(edits))


if __name__ == "__main__":
    main()
