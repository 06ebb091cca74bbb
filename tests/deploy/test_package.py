"""What `pip install .` puts on a machine: the platform, never the development tools."""

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_wheel_holds_the_runtime_packages_and_no_development_tool(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), REPO],
        check=True,
    )
    (wheel,) = tmp_path.glob("pintu-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    packages = {name.split("/")[0] for name in names if not name.startswith("pintu-")}
    assert packages == {"shared", "services"}
    modules = {name.removesuffix(".py").replace("/", ".") for name in names if name.endswith(".py")}
    assert "services.cli" in modules and "shared.adapters.kafka.publisher" in modules
    development = {"launcher", "demo", "watch", "mail_receiver", "webhook_receiver", "broker"}
    assert not {m for m in modules if m.rsplit(".", 1)[-1] in development}
    assert "shared/data/agencies.json" in names
