#!/usr/bin/python3
"""Writes a reproducible initramfs (cpio "newc") from a directory tree.

    mkcpio.py ROOT OUT

Entries are sorted by path; every entry is owned by uid/gid 0, has its mtime set to
SOURCE_DATE_EPOCH (default 0) and inode numbers in order, so the same tree gives the same
bytes.  Permissions come from the tree (executables 0755, the rest 0644, directories 0755).
Device nodes cannot be made without root, so /dev/console (char 5:1) is added here: the
kernel opens it for PID 1 before devtmpfs is mounted.
"""
import os
import stat
import sys

root, out = sys.argv[1], sys.argv[2]
mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
entries = []  # (name, mode, data, rdevmajor, rdevminor)
for dirpath, dirnames, filenames in os.walk(root):
    dirnames.sort()
    rel = os.path.relpath(dirpath, root)
    if rel != ".":
        entries.append((rel, stat.S_IFDIR | 0o755, b"", 0, 0))
    for f in sorted(filenames):
        p = os.path.join(dirpath, f)
        name = os.path.normpath(os.path.join(rel, f))
        st = os.lstat(p)
        if stat.S_ISLNK(st.st_mode):
            entries.append((name, stat.S_IFLNK | 0o777, os.readlink(p).encode(), 0, 0))
        else:
            perm = 0o755 if st.st_mode & 0o100 else 0o644
            with open(p, "rb") as fh:
                entries.append((name, stat.S_IFREG | perm, fh.read(), 0, 0))
if not any(e[0] == "dev" for e in entries):
    entries.append(("dev", stat.S_IFDIR | 0o755, b"", 0, 0))
entries.append(("dev/console", stat.S_IFCHR | 0o600, b"", 5, 1))
entries.sort(key=lambda e: e[0])


def pad(n):
    return b"\0" * ((4 - n % 4) % 4)


with open(out, "wb") as o:
    ino = 1
    for name, mode, data, maj, mnr in entries + [("TRAILER!!!", 0, b"", 0, 0)]:
        nb = name.encode() + b"\0"
        nlink = 2 if stat.S_ISDIR(mode) else 1
        hdr = "070701" + "".join("%08X" % v for v in (
            ino if name != "TRAILER!!!" else 0, mode, 0, 0, nlink,
            mtime if name != "TRAILER!!!" else 0, len(data), 0, 0, maj, mnr, len(nb), 0))
        o.write(hdr.encode() + nb + pad(110 + len(nb)) + data + pad(len(data)))
        ino += 1
    o.write(pad(o.tell()))
    o.write(b"\0" * ((512 - o.tell() % 512) % 512))
