"""Write a tiny pure-Python wheel by hand (no setuptools, no network): the tests' package index.

    make_wheel.py OUTDIR NAME VERSION     -> OUTDIR/NAME-VERSION-py3-none-any.whl
The package is one module, NAME/__init__.py, with VALUE = "NAME VERSION".
"""
import base64
import hashlib
import sys
import zipfile
from pathlib import Path


def make_wheel(outdir: str, name: str, version: str) -> Path:
    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f'VALUE = "{name} {version}"\n',
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: jobgate-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = "\n".join(record) + "\n"
    out = Path(outdir) / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(out, "w") as z:
        for path, text in files.items():
            z.writestr(path, text)
    return out


if __name__ == "__main__":
    print(make_wheel(*sys.argv[1:4]))
