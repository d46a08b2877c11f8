"""examples/quickstart.ipynb executed top to bottom by a real Jupyter kernel (nbclient), on a tiny
subset: no error, no Ray log lines in the cells, a short live progress display, the result's table;
the kernel's Ray still up at the end, for the next sweep."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "quickstart.ipynb"
# What TensorFlow's C++ runtime writes to stderr when the notebook's own `import keras` loads it:
# not tune-jobs' output, and not something a cell of ours can silence.
TENSORFLOW_BANNER = re.compile(r"^(WARNING: All log messages before absl|[IWE]\d{4} |To enable the following)")


@pytest.mark.integration
def test_the_quickstart_notebook_runs_top_to_bottom(real_data_dir, ray_tmpdir, tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("QUICKSTART_SAMPLES", "600")
    monkeypatch.setenv("QUICKSTART_EPOCHS", "1")
    monkeypatch.setenv("FASHION_MNIST_DIR", str(real_data_dir))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # The kernel keeps the Ray its first sweep started (as Ray Tune does): the next sweep starts warm.
    notebook.cells.append(nbformat.v4.new_code_cell("import ray\nprint('Ray still up:', ray.is_initialized())"))
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()

    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    stderr = [line for o in outputs if o.output_type == "stream" and o.name == "stderr"
              for line in o.text.splitlines() if line.strip()]
    assert all(TENSORFLOW_BANNER.match(line) for line in stderr), stderr
    text = [line for o in outputs for line in text_of(o).splitlines()]
    assert len(text) < 120, "\n".join(text)  # no flood: Ray's lines stay in driver.log
    assert not [line for line in text if re.search(r"\b(INFO|raylet|Trial \w+ (started|completed))\b", line)]
    progress = [text_of(o) for o in outputs if o.output_type == "display_data" and text_of(o).startswith("trials ")]
    # One display per sweep, updated in place: what is stored is its last state.
    assert len(progress) == 2 and all(p.startswith("trials 4/4 done 4 running 0 pending 0 failed 0 |")
                                      for p in progress)
    tables = [o for o in outputs if o.output_type == "execute_result" and "text/html" in o.data]
    assert any("best mean CV accuracy" in o.data["text/html"] for o in tables)  # the SweepResult
    assert len(list((tmp_path / "runs").iterdir())) == 2  # the sweep's and GridSearchCV's run directories
    assert list((tmp_path / "runs").glob("fashion-mlp-*/report/report.html"))
    assert text_of(notebook.cells[-1].outputs[0]).strip() == "Ray still up: True"


def text_of(output) -> str:
    if output.output_type == "stream":
        return output.text
    return str(output.get("data", {}).get("text/plain", ""))
