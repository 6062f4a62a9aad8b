#!/usr/bin/python3
"""Builds the safemigrate wheel (a Django app with the bundled binary) with the standard library
only, offline: build_wheel.py BINARY OUTDIR. Called by build_wheel.sh; see docs/install.md.

The wheel holds packaging/python/safemigrate/ (the app), adapters/django/export_plan.py copied in
as safemigrate/export_plan.py, BINARY as safemigrate/bin/safemigrate (mode 0755) and, when
BINARY's folder has a lib/ (the relocatable release's shared libraries), that folder as
safemigrate/bin/lib/. The version is CMakeLists.txt's project VERSION."""

import base64
import hashlib
import io
import os
import re
import stat
import sys
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
APP = os.path.join(ROOT, "packaging", "python", "safemigrate")
EXPORTER = os.path.join(ROOT, "adapters", "django", "export_plan.py")
LICENSE = os.path.join(ROOT, "LICENSE")
NOTICES = "THIRD-PARTY-NOTICES.txt"  # scripts/third_party_notices.sh writes it beside the binary
NAME = "safemigrate"
SUMMARY = "safemigrate as a Django app: export the migration plan and check it with the bundled binary"

# ELF e_machine -> the platform tag's architecture.
ELF_MACHINES = {0x3E: "x86_64", 0xB7: "aarch64", 0x03: "i686", 0x28: "armv7l", 0x15: "ppc64le", 0xF3: "riscv64"}


def die(message):
    print("build_wheel.py: error: %s" % message, file=sys.stderr)
    sys.exit(2)


def project_version():
    with open(os.path.join(ROOT, "CMakeLists.txt"), encoding="utf-8") as f:
        m = re.search(r"project\(\s*safemigrate\s+VERSION\s+([0-9][0-9.]*)", f.read())
    if not m:
        die("no `project(safemigrate VERSION x.y.z` in CMakeLists.txt")
    return m.group(1)


def platform_tag(binary):
    """linux_<arch> from the binary's ELF header: the wheel is only for the machine it runs on."""
    with open(binary, "rb") as f:
        header = f.read(20)
    if len(header) < 20 or header[:4] != b"\x7fELF":
        die("%s is not an ELF executable" % binary)
    little = header[5] == 1
    machine = int.from_bytes(header[18:20], "little" if little else "big")
    if machine == 0x15 and not little:
        die("%s: big-endian ppc64 is not supported" % binary)
    if machine not in ELF_MACHINES:
        die("%s: unknown ELF machine %#x" % (binary, machine))
    return "linux_" + ELF_MACHINES[machine]


def record_hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


def main(argv):
    if len(argv) != 2:
        print("usage: build_wheel.py BINARY OUTDIR", file=sys.stderr)
        return 2
    binary, outdir = argv
    if not os.path.isfile(binary) or not os.access(binary, os.X_OK):
        die("%s is not an executable file" % binary)
    version = project_version()
    tag = "py3-none-" + platform_tag(binary)
    dist_info = "%s-%s.dist-info" % (NAME, version)

    files = []  # (archive name, bytes, executable)

    def add_python(arcname, data):
        try:
            compile(data, arcname, "exec")
        except SyntaxError as exc:
            die("%s does not compile: %s" % (arcname, exc))
        files.append((arcname, data, False))

    for folder, dirs, names in os.walk(APP):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            arcname = NAME + "/" + os.path.relpath(path, APP).replace(os.sep, "/")
            with open(path, "rb") as f:
                data = f.read()
            if arcname == NAME + "/__init__.py":
                data = data.replace(b"@VERSION@", version.encode("ascii"))
            add_python(arcname, data)
    # The exporter: the one file, copied in at build time (not a second copy in git).
    with open(EXPORTER, "rb") as f:
        add_python(NAME + "/export_plan.py", f.read())
    with open(binary, "rb") as f:
        files.append((NAME + "/bin/safemigrate", f.read(), True))
    lib = os.path.join(os.path.dirname(os.path.abspath(binary)), "lib")
    if os.path.isdir(lib):
        for folder, dirs, names in os.walk(lib):
            dirs.sort()
            for name in sorted(names):
                path = os.path.join(folder, name)  # symlinks are followed: a wheel holds files only
                with open(path, "rb") as f:
                    data = f.read()
                mode = os.stat(path).st_mode
                arcname = NAME + "/bin/lib/" + os.path.relpath(path, lib).replace(os.sep, "/")
                files.append((arcname, data, bool(mode & stat.S_IXUSR)))

    # Licence files (PEP 639: dist-info/licenses/, named by License-File): the project's own and
    # the notices of the libraries the binary carries, when the release put them beside it.
    licenses = [("LICENSE", LICENSE)]
    notices = os.path.join(os.path.dirname(os.path.abspath(binary)), NOTICES)
    if os.path.isfile(notices):
        licenses.append((NOTICES, notices))
    for name, path in licenses:
        with open(path, "rb") as f:
            files.append((dist_info + "/licenses/" + name, f.read(), False))

    metadata = (
        "Metadata-Version: 2.4\n"
        "Name: %s\n"
        "Version: %s\n"
        "Summary: %s\n"
        "License-Expression: Apache-2.0\n"
        "%s"
        "Requires-Python: >=3.8\n"
        "Requires-Dist: Django>=3.2\n"
        "\n"
        "Add \"safemigrate\" to INSTALLED_APPS, then `python manage.py safemigrate_export -o plan.json`\n"
        "writes the migration plan and `python manage.py safemigrate check` checks it with the\n"
        "safemigrate binary bundled in this wheel (%s only).\n"
        % (NAME, version, SUMMARY, "".join("License-File: %s\n" % name for name, _ in licenses), tag)
    )
    wheel = (
        "Wheel-Version: 1.0\n"
        "Generator: safemigrate packaging/python/build_wheel.py\n"
        "Root-Is-Purelib: false\n"
        "Tag: %s\n" % tag
    )
    files.append((dist_info + "/METADATA", metadata.encode("utf-8"), False))
    files.append((dist_info + "/WHEEL", wheel.encode("utf-8"), False))
    files.append((dist_info + "/top_level.txt", (NAME + "\n").encode("utf-8"), False))
    record = "".join("%s,%s,%d\n" % (n, record_hash(d), len(d)) for n, d, _ in files)
    record += dist_info + "/RECORD,,\n"
    files.append((dist_info + "/RECORD", record.encode("utf-8"), False))

    # Reproducible: every entry gets SOURCE_DATE_EPOCH (default 2000-01-01) as its time.
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "946684800"))
    stamp = time.gmtime(max(epoch, 315532800))[:6]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for arcname, data, executable in files:
            info = zipfile.ZipInfo(arcname, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix: external_attr holds the mode
            info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
            z.writestr(info, data)

    os.makedirs(outdir, exist_ok=True)
    out = os.path.join(outdir, "%s-%s-%s.whl" % (NAME, version, tag))
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(buf.getvalue())
    os.replace(tmp, out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
