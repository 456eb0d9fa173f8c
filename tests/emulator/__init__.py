"""Local emulator of the Tencent Cloud Chat (TIM) REST API topic endpoints, for tests and demos.

Standard library only; see README.md.  Run with ``python -m tests.emulator --help``.
"""

__all__ = ["server", "state", "usersig", "callbacks", "webhook", "launcher"]
