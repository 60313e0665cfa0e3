"""`make lab` serves the notebooks: start it, ask the server for the notebook list, stop it."""

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_serves_the_notebook_list(tmp_path):
    port, token = _free_port(), "course-test-token"
    args = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token}"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path), JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"))
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"LAB_ARGS={args}"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api/contents/?token={token}"
    rise_url = f"http://127.0.0.1:{port}/lab/api/settings/jupyterlab-rise:plugin?token={token}"
    listing = rise = None
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    listing = json.load(response)
                with urllib.request.urlopen(rise_url, timeout=10) as response:
                    rise = json.load(response)
                break
            except OSError:
                time.sleep(1)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            output = proc.communicate(timeout=30)[0]
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output = proc.communicate()[0]
    assert listing is not None, f"JupyterLab did not answer on port {port}:\n{output[-3000:]}"
    names = {item["name"] for item in listing["content"]}
    expected = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert "00_start_here.ipynb" in names and expected <= names, names
    # RISE (jupyterlab-rise) is installed and puts "Render as Reveal Slideshow" in the View menu,
    # which notebook 00 and the decks tell presenters to use.
    assert rise is not None, f"the server does not know the RISE extension:\n{output[-3000:]}"
    view = [m for m in rise["schema"]["jupyter.lab.menus"]["main"] if m["id"] == "jp-mainmenu-view"]
    assert view and any(item.get("command") == "RISE:preview" for item in view[0]["items"]), view
