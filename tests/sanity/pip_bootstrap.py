# -*- coding: utf-8 -*-
"""Stand-in for the get-pip.py that ``ansible-test --venv`` downloads from a host this network cannot reach.

Like get-pip.py it installs pip into the running interpreter, then runs ``pip install`` with its arguments.
It uses the standard library's bundled pip (ensurepip); the pinned pip itself then comes from the package index.
The Makefile copies it to ~/.ansible/test/cache/get_pip_<version>.py, where ansible-test looks first.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import subprocess
import sys

IGNORED = ("--no-setuptools", "--no-wheel")


def main():
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
    arguments = [argument for argument in sys.argv[1:] if argument not in IGNORED]
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + arguments)


if __name__ == "__main__":
    main()
