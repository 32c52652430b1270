"""irctest controller for Parley's IRC gateway (our own code, not irctest's).

It starts `parley serve` with a fresh SQLite database in a temporary
directory and the IRC listener on the address irctest chose. The binary is
$PARLEY_BIN. Accounts (registerUser, the "operuser" admin irctest's OPER
tests use) are made with `parley user add`, which writes the same database.
run.sh passes this module to irctest as --controller parley_controller.
"""

import atexit
import os
import shutil
import signal
import socket
import subprocess
from typing import Optional, Set, Type

from irctest.basecontrollers import BaseServerController, DirectoryBasedController
from irctest.cases import BaseServerTestCase
from irctest.runner import NotImplementedByController
from irctest.specifications import Capabilities, OptionalBehaviors

OPER_NAME = "operuser"
OPER_PASSWORD = "operpassword"


# Every server started, so that none outlives the run: unittest skips
# tearDown (and so kill) when setUp fails, e.g. in registerUser.
_started: Set[subprocess.Popen] = set()


@atexit.register
def _stop_all() -> None:
    for proc in list(_started):
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                proc.kill()
            proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ParleyController(BaseServerController, DirectoryBasedController):
    software_name = "Parley"
    supported_sasl_mechanisms: Set[str] = {"PLAIN"}
    supports_sts = False
    capabilities = frozenset(
        {
            Capabilities.ECHO_MESSAGE,
            Capabilities.MESSAGE_TAGS,
            Capabilities.MULTI_PREFIX,
            Capabilities.SERVER_TIME,
        }
    )
    optional_behaviors = frozenset(
        {
            OptionalBehaviors.CAP_REQ_MINUS,
            OptionalBehaviors.MULTI_JOIN,
            OptionalBehaviors.MULTI_NAMES_COMMAND,
            OptionalBehaviors.MULTI_PRIVMSG,
        }
    )

    def binary(self) -> str:
        return os.environ.get("PARLEY_BIN") or shutil.which("parley") or "parley"

    def db(self) -> str:
        assert self.directory
        return str(self.directory / "parley.db")

    def add_user(self, name: str, password: str, admin: bool = False) -> None:
        args = [self.binary(), "user", "add", name, "--db", self.db()]
        if admin:
            args.append("--admin")
        subprocess.run(
            args,
            input=(password + "\n").encode(),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def run(
        self,
        hostname: str,
        port: int,
        *,
        password: Optional[str],
        ssl: bool,
        run_services: bool,
        faketime: Optional[str],
        websocket_hostname: Optional[str],
        websocket_port: Optional[int],
    ) -> None:
        if websocket_hostname is not None or websocket_port is not None:
            raise NotImplementedByController("Websocket")
        if password is not None:
            # PASS is an account's password on Parley, not a server password.
            raise NotImplementedByController("PASS")
        assert self.proc is None
        self.create_config()
        self.port = port
        self.hostname = hostname
        self.add_user(OPER_NAME, OPER_PASSWORD, admin=True)
        args = [
            self.binary(),
            "serve",
            "--db", self.db(),
            "--addr", "127.0.0.1:%d" % free_port(),
            "--irc-server-name", "My.Little.Server",
            "--room-burst", "100000",
            "--max-rooms-per-creator", "-1",
            "--rate-limit", "0",
            "--irc-flood-burst", "10000",
            "--max-conns-per-client", "-1",
            "--presence-grace", "0s",
            "--presence-restart", "-1s",
            "--log-level", "warn",
        ]
        if ssl:
            self.gen_ssl()
            args += [
                "--irc-tls-addr", "%s:%d" % (hostname, port),
                "--tls-cert", str(self.pem_path),
                "--tls-key", str(self.key_path),
            ]
        else:
            args += ["--irc-addr", "%s:%d" % (hostname, port)]
        self.proc = self.execute(args)
        _started.add(self.proc)

    def wait_for_services(self) -> None:
        # Accounts are Parley's own (no services package): nothing to wait for.
        self.wait_for_port()

    def kill_proc(self) -> None:
        proc = self.proc
        super().kill_proc()
        _started.discard(proc)

    def registerUser(
        self,
        case: BaseServerTestCase,
        username: str,
        password: Optional[str] = None,
    ) -> None:
        if password is not None and len(password) < 8:
            # Parley's password policy: at least 8 characters.
            raise NotImplementedByController("passwords under 8 characters")
        self.add_user(username, password or "irctest-password")


def get_irctest_controller_class() -> Type[ParleyController]:
    return ParleyController
