"""`ferrite modules ...`: installed modules without a server, and a running server's modules."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from ferrite_host.cli.main import cli
from ferrite_host.cli.modules import render_table


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def make_distribution(root: Path, dist: str, entry_point: str, module: str, source: str) -> None:
    """An installed distribution on sys.path: a module file plus its dist-info metadata."""
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist.replace('-', '_')}-0.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.3\n")
    (info / "entry_points.txt").write_text(f"[ferrite.modules]\n{entry_point} = {module}\n")


@pytest.fixture
def extra_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A good module, one that fails to import, one with a bad ModuleInfo, one colliding."""
    make_distribution(
        tmp_path,
        "ferrite-clitest-good",
        "clitestgood",
        "clitest_good_mod",
        """
        from ferrite_host.redis_module import ModuleInfo, hookimpl
        from ferrite_host.redis_module.api import Status
        from ferrite_host.redis_module.commands import ModuleCommand
        from ferrite_host.redis_module.types import RedisModuleTypeDef

        def ping(ctx, args):
            return ctx.reply_with_simple_string("PONG")

        @hookimpl
        def module_info():
            return ModuleInfo(name="clitestgood", version=7)

        @hookimpl
        def on_load(module, args):
            module.register_type(RedisModuleTypeDef("clitype", 3))
            module.register_command(
                ModuleCommand("clitest.ping", ping, "readonly fast").with_keys(0, 0, 0))
            module.register_command(
                ModuleCommand("clitest.set", ping, "write deny-oom").with_keys(1, -1, 2))
            return Status.OK
    """,
    )
    make_distribution(
        tmp_path,
        "ferrite-clitest-broken",
        "clitestbroken",
        "clitest_broken_mod",
        "raise ImportError('missing dependency frobnicate')\n",
    )
    make_distribution(
        tmp_path,
        "ferrite-clitest-badinfo",
        "clitestbadinfo",
        "clitest_badinfo_mod",
        """
        def module_info():
            return {"name": "bad name!", "version": -1}

        def on_load(module, args):
            pass
    """,
    )
    make_distribution(
        tmp_path,
        "ferrite-clitest-clash",
        "clitestclash",
        "clitest_clash_mod",
        """
        from ferrite_host.redis_module.commands import ModuleCommand

        def module_info():
            return {"name": "clitestclash", "version": 1}

        def on_load(module, args):
            module.register_command(ModuleCommand("GET", lambda ctx, args: None))
    """,
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_list_shows_installed_modules_with_their_commands_and_types():
    code, out, _ = run("modules", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "NAME",
        "VERSION",
        "API",
        "DISTRIBUTION",
        "STATUS",
        "TYPES",
        "COMMANDS",
    ]
    rows = {line.split()[0]: line for line in lines[1:] if line}
    assert "ferrite-hello 1.0.0" in rows["hello"] and "hello.leftpad" in rows["hello"]
    assert "MBbloom--" in rows["bloom"] and " ok " in rows["bloom"]
    assert "hellotype.insert" in rows["hellotype"]
    # Aligned: every row's STATUS column starts where the header's does.
    status_at = lines[0].index("STATUS")
    assert all(line[status_at:].startswith(("ok", "broken")) for line in lines[1:4])


def test_list_json_is_stable_for_scripts():
    code, out, _ = run("modules", "list", "--json")
    assert code == 0
    entries = {entry["name"]: entry for entry in json.loads(out)}
    hello = entries["hello"]
    assert set(hello) == {
        "name",
        "module_name",
        "version",
        "api_version",
        "distribution",
        "distribution_version",
        "entry_point",
        "commands",
        "types",
        "status",
    }
    assert hello["distribution"] == "ferrite-hello"
    assert hello["entry_point"] == "ferrite.modules:hello = ferrite_hello"
    assert hello["api_version"] == 1 and hello["status"] == "ok"
    assert "hello.simple" in hello["commands"]
    assert entries["hellotype"]["types"] == ["hellotype"]


def test_broken_modules_show_as_broken_and_never_fail_the_listing(extra_modules):
    code, out, _ = run("modules", "list", "--json")
    assert code == 0
    entries = {entry["name"]: entry for entry in json.loads(out)}
    good = entries["clitestgood"]
    assert good["status"] == "ok" and good["version"] == 7
    assert good["commands"] == ["clitest.ping", "clitest.set"] and good["types"] == ["clitype"]
    broken = entries["clitestbroken"]["status"]
    assert broken.startswith("broken: ") and "missing dependency frobnicate" in broken
    assert entries["clitestbroken"]["distribution"] == "ferrite-clitest-broken"
    assert entries["clitestbadinfo"]["status"].startswith("broken: invalid ModuleInfo")
    assert "collides with a built-in command" in entries["clitestclash"]["status"]
    assert entries["hello"]["status"] == "ok"

    code, out, _ = run("modules", "list")
    assert code == 0
    assert "clitestbroken: broken: " in out and "frobnicate" in out


def test_info_details_commands_and_types(extra_modules):
    code, out, _ = run("modules", "info", "clitestgood")
    assert code == 0
    assert "Distribution: ferrite-clitest-good 0.3" in out
    assert "Status:       ok" in out
    ping = next(line for line in out.splitlines() if "clitest.ping" in line)
    assert ping.split() == ["clitest.ping", "readonly", "fast", "0", "0", "0"]
    setter = next(line for line in out.splitlines() if "clitest.set" in line)
    assert setter.split() == ["clitest.set", "write", "deny-oom", "1", "-1", "2"]
    assert "clitype" in out and "ENCVER" in out

    code, out, _ = run("modules", "info", "clitestgood", "--json")
    detail = json.loads(out)
    assert detail["commands"][1] == {
        "name": "clitest.set",
        "flags": ["write", "deny-oom"],
        "first_key": 1,
        "last_key": -1,
        "key_step": 2,
    }
    assert detail["types"] == [{"name": "clitype", "encver": 3}]


def test_info_of_a_broken_module_gives_the_reason(extra_modules):
    code, out, _ = run("modules", "info", "clitestbroken")
    assert code == 0
    assert "Status:" in out and "frobnicate" in out


def test_info_of_an_unknown_module_fails_with_the_installed_names():
    code, _, err = run("modules", "info", "nosuch")
    assert code == 1
    assert "no installed module named 'nosuch'" in err and "hello" in err


def test_render_table_aligns_columns():
    table = render_table(["A", "LONG HEADER", "LAST"], [["xxxx", "y", "z z"], ["1", "2", "3"]])
    assert table.splitlines() == [
        "A     LONG HEADER  LAST",
        "xxxx  y            z z",
        "1     2            3",
    ]


# -- against a running server -------------------------------------------------------------


def test_loaded_load_and_unload_against_a_running_server(ferrite_server_factory):
    server = ferrite_server_factory(modules=["hello"])
    port = str(server.port)
    code, out, _ = run("modules", "loaded", "-h", "127.0.0.1", "-p", port)
    assert code == 0
    assert out.splitlines()[1].split()[:2] == ["hello", "1"]

    code, out, _ = run("modules", "unload", "hello", "-p", port)
    assert (code, out) == (0, "Unloaded hello.\n")
    client = server.client()
    with pytest.raises(Exception, match="unknown command"):
        client.execute_command("hello.simple")

    code, out, _ = run("modules", "load", "hello", "first", "second", "-p", port)
    assert (code, out) == (0, "Loaded hello.\n")
    assert client.execute_command("hello.simple") == 0

    code, out, _ = run("modules", "loaded", "--json", "-u", f"redis://127.0.0.1:{port}")
    assert json.loads(out) == [
        {
            "name": "hello",
            "ver": 1,
            "path": "ferrite.modules:hello = ferrite_hello",
            "args": ["first", "second"],
        }
    ]
    client.close()


def test_server_errors_are_printed_as_the_server_said_them(ferrite_server_factory):
    server = ferrite_server_factory(modules=[])
    port = str(server.port)
    code, out, err = run("modules", "unload", "nosuch", "-p", port)
    assert (code, out) == (1, "")
    assert err == "ERR Error unloading module: no such module with that name\n"
    code, _, err = run("modules", "load", "nosuch", "-p", port)
    assert (code, err) == (1, "ERR Error loading the extension. Please check the server logs.\n")


def test_password_options(ferrite_server_factory):
    server = ferrite_server_factory("--requirepass", "s3cret", modules=["hello"])
    port = str(server.port)
    code, _, err = run("modules", "loaded", "-p", port)
    assert code == 1 and err.startswith("NOAUTH")
    code, out, _ = run("modules", "loaded", "-p", port, "-a", "s3cret")
    assert code == 0 and "hello" in out
    code, out, _ = run("modules", "loaded", "-u", f"redis://:s3cret@127.0.0.1:{port}/0")
    assert code == 0 and "hello" in out
    code, _, err = run("modules", "loaded", "-p", port, "-a", "wrong")
    assert code == 1 and err.startswith("WRONGPASS")


def test_an_unreachable_server_gives_one_line_and_no_traceback():
    from ferrite_host.testing import free_port

    code, out, err = run("modules", "loaded", "-p", str(free_port()))
    assert code == 1 and out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith("ferrite: could not connect to a Ferrite server at 127.0.0.1:")


def test_a_bad_url_is_explained():
    code, _, err = run("modules", "loaded", "-u", "http://example")
    assert code == 1 and "unsupported URL scheme" in err


def test_help_says_what_each_command_does():
    code, out, _ = run("--help")
    assert code == 0
    for command in ("serve", "modules", "install", "uninstall", "new"):
        assert command in out
    code, out, _ = run("modules", "--help")
    for command in ("list", "info", "loaded", "load", "unload"):
        assert command in out
    code, out, _ = run("modules", "load", "--help")
    assert "-h TEXT" in out and "-p INTEGER" in out and "MODULE LOAD" in out
