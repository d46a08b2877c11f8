from pathlib import Path

import pytest

from tune_jobs.jobs.fashion_mlp import HYPERPARAMETERS as MLP
from tune_jobs.jobs.regression import HYPERPARAMETERS as REGRESSOR
from tune_jobs.space.spec import SpecError, load_spec


def load(path):
    """A space file read as the seed's job reads it."""
    return load_spec(path, MLP)


SPACES = Path(__file__).resolve().parent.parent / "search_spaces"


def test_seed_grid_is_verbatim():
    spec = load(SPACES / "fashion_grid.yaml")
    assert dict(spec.grid) == {
        "activation": ("relu", "selu", "swish"), "batch_norm": (1, 0), "dropout": (0.2, 0.4),
        "lr": (0.001, 0.002, 0.01), "optimizer": ("RMSprop", "Adam"), "batch_size": (512, 1024),
        "epochs": (15,),
    }
    assert spec.n_configs == 144
    assert spec.fixed == {"units": 128, "layers": 1, "lr_schedule": "constant"} and spec.columns == list(spec.grid)


def test_plain_param_grid_takes_the_baseline_for_the_rest(write_space):
    spec = load(write_space("grid:\n  activation: [relu, swish]\n  lr: [0.001, 0.01]\n"))
    assert spec.name == "space" and spec.n_configs == 4
    assert spec.fixed == {k: v for k, v in MLP.defaults().items() if k not in ("activation", "lr")}
    assert spec.fixed["batch_size"] == 32 and spec.fixed["epochs"] == 10 and spec.fixed["optimizer"] == "Adam"


def test_exponent_floats_and_lone_values(write_space):
    spec = load(write_space("grid:\n  lr: [1e-3, 2E-2]\n  units: 64\n"))
    assert spec.grid["lr"] == (0.001, 0.02) and spec.grid["units"] == (64,)


def test_epochs_override(write_space):
    spec = load(write_space("grid:\n  epochs: [15]\n  lr: [0.1, 0.2]\n")).with_epochs(2)
    assert spec.grid["epochs"] == (2,) and spec.n_configs == 2
    with pytest.raises(SpecError, match=r"--epochs: 0 must be >= 1"):
        spec.with_epochs(0)


BAD = [
    ("grid:\n  lr: [0.1]\nsampler: tpe\n", "sampler", "unknown key"),
    ("grid:\n  learning_rate: [0.1]\n", "grid.learning_rate", "unknown hyperparameter"),
    ("grid:\n  lr: []\n", "grid.lr", "[]"),
    ("grid:\n  lr: [fast]\n", "grid.lr[0]", "'fast'"),
    ("grid:\n  batch_size: [1.5]\n", "grid.batch_size[0]", "1.5"),
    ("grid:\n  batch_norm: [2]\n", "grid.batch_norm[0]", "2"),
    ("grid:\n  units: [true]\n", "grid.units[0]", "True"),
    ("grid:\n  lr: [0.01, 0]\n", "grid.lr[1]", "0 must be > 0"),
    ("grid:\n  lr: [-0.1]\n", "grid.lr[0]", "-0.1 must be > 0"),
    ("grid:\n  dropout: [1.0]\n", "grid.dropout[0]", "1.0 must be in [0, 1)"),
    ("grid:\n  dropout: [-0.1]\n", "grid.dropout[0]", "-0.1 must be in [0, 1)"),
    ("grid:\n  batch_size: [0]\n", "grid.batch_size[0]", "0 must be >= 1"),
    ("grid:\n  optimizer: [Adam, Adamm]\n", "grid.optimizer[1]", "'Adamm' is not one of"),
    ("grid:\n  activation: [rellu]\n", "grid.activation[0]", "'rellu' is not one of"),
    ("grid:\n  lr_schedule: [constant, step]\n", "grid.lr_schedule[1]", "'step' is not one of constant, cosine"),
    ("grid:\n  lr: [0.1, 0.1]\n", "grid.lr", "lists a value twice"),
    ("grid:\n  lr: [0.1\n", "malformed YAML", "line"),
    ("grid: [lr]\n", "grid", "['lr']"),
    ("name: x\n", "grid / space", "give exactly one"),
    ("- lr\n", "expected a mapping", "['lr']"),
    ("grid:\n  lr: [0.1]\nspace:\n  lr: [0.1]\n", "grid / space", "give exactly one"),
    ("space:\n  lr: {uniform: [0.1, 0.01]}\n", "space.lr.uniform", "[0.1, 0.01] needs low < high"),
    ("space:\n  lr: {loguniform: [0.0, 0.01]}\n", "space.lr.loguniform[0]", "0.0 must be > 0"),
    ("space:\n  dropout: {loguniform: [0.0, 0.5]}\n", "space.dropout.loguniform", "needs low > 0 on a log scale"),
    ("space:\n  units: {int: [0, 64]}\n", "space.units.int[0]", "0 must be >= 1"),
    ("space:\n  units: {int: [16.5, 64]}\n", "space.units.int[0]", "16.5 must be an integer"),
    ("space:\n  dropout: {uniform: [0.0, 1.0]}\n", "space.dropout.uniform[1]", "1.0 must be in [0, 1)"),
    ("space:\n  lr: {int: [1, 3]}\n", "space.lr.int", "lr is not an integer range; use uniform or loguniform"),
    ("space:\n  activation: {uniform: [0, 1]}\n", "space.activation.uniform", "use a list of values"),
    ("space:\n  lr: {normal: [0, 1]}\n", "space.lr", "must have one of uniform, loguniform, int, choice"),
    ("space:\n  lr: {choice: []}\n", "space.lr.choice", "[] is empty"),
    ("space:\n  optimizer: [Adam, Adamm]\n", "space.optimizer[1]", "'Adamm' is not one of"),
    ("space:\n  units: {int: [16, 64], per_layer: true}\n", "space.layers", "missing"),
    ("space:\n  layers: {int: [1, 3]}\n  lr: {uniform: [0.1, 0.2], per_layer: true}\n", "space.lr.per_layer",
     "only units"),
    ("space:\n  lr: {uniform: 0.1}\n", "space.lr.uniform", "0.1 must be [low, high]"),
    ("name: 'a b'\ngrid:\n  lr: [0.1]\n", "name", "'a b'"),
    ("grid:\n  lr: [.inf]\n", "grid.lr[0]", "inf must be a finite number"),
    ("grid:\n  lr: [.nan]\n", "grid.lr[0]", "nan must be a finite number"),
    ("space:\n  lr: {uniform: [0.1, .inf]}\n", "space.lr.uniform[1]", "inf must be a finite number"),
    ("grid:\n  lr: [0.1]\n  lr: [0.2]\n", "malformed YAML (line 3)", "'lr' is given twice"),
    ("grid:\n  lr: [0.1]\ngrid:\n  lr: [0.2]\n", "malformed YAML (line 3)", "'grid' is given twice"),
]


@pytest.mark.parametrize("text, field, value", BAD, ids=[b[1] + "|" + b[2] for b in BAD])
def test_bad_files_name_file_field_and_value(write_space, text, field, value):
    path = write_space(text)
    with pytest.raises(SpecError) as error:
        load(path)
    message = str(error.value)
    assert message.startswith(f"{path}: ")
    assert field in message and value in message


def test_missing_file():
    with pytest.raises(SpecError, match="nope.yaml: cannot read"):
        load("nope.yaml")


def test_a_space_with_distributions_and_per_layer_units():
    from tune_jobs.space.domains import Choice, IntRange, Uniform

    spec = load(SPACES / "fashion_automl.yaml")
    assert not spec.is_grid
    assert spec.params["layers"] == IntRange(1, 4)
    assert spec.params["lr"] == Uniform(1e-4, 1e-2, log=True)
    assert spec.params["dropout"] == Uniform(0.0, 0.5)
    assert isinstance(spec.params["activation"], Choice)
    assert spec.per_layer == {"units": IntRange(32, 512, log=True)}
    assert spec.columns[-4:] == ["units_1", "units_2", "units_3", "units_4"]
    assert spec.max_epochs == 30 and spec.scheduler == {"grace_period": 2, "reduction_factor": 3}
    with pytest.raises(SpecError, match="has distributions, not a grid; use --searcher random or optuna"):
        spec.grid


def test_a_space_of_lists_only(write_space):
    spec = load(write_space("space:\n  lr: [0.1, 0.2]\n  units: {choice: [16, 32]}\n  epochs: 2\n"))
    assert spec.columns == ["lr", "units", "epochs"] and spec.max_epochs == 2


def test_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("# caf\xe9\ngrid:\n  lr: [0.1]\n".encode("latin-1"))
    with pytest.raises(SpecError, match=rf"^{path}: not a UTF-8 text file \(byte 5: b'\\xe9'\); save it as UTF-8$"):
        load(path)


def test_each_job_checks_its_own_hyperparameters(write_space):
    """The same name is known to one job and unknown to another; an open table takes any scalar."""
    path = write_space("grid:\n  batch_norm: [1]\n")
    assert load(path).grid == {"batch_norm": (1,)}
    with pytest.raises(SpecError,
                       match="grid.batch_norm: unknown hyperparameter .valid: batch_size, epochs, lr_schedule, layers"):
        load_spec(path, REGRESSOR)
    spec = load_spec(write_space("grid:\n  anything: [1, two, 3.5, true]\n"))  # no table: the format only
    assert spec.grid == {"anything": (1, "two", 3.5, True)}
    assert spec.fixed == {"batch_size": 32, "epochs": 10, "lr_schedule": "constant"}
    with pytest.raises(SpecError, match=r"grid.anything\[0\]: \[1\] must be a number, a string or true/false"):
        load_spec(write_space("grid:\n  anything: [[1]]\n"))


def test_values_read_back_from_csv_text_keep_their_type(write_space):
    spec = load(write_space("space:\n  batch_norm: [1, 0]\n  lr: {loguniform: [1.0e-4, 1.0e-2]}\n"
                            "  layers: {int: [1, 3]}\n  units: {int: [8, 64], per_layer: true}\n"
                            "  activation: [relu, swish]\n"))
    assert spec.parse("batch_norm", "1") == 1 and spec.parse("lr", "0.002") == 0.002
    assert spec.parse("units_2", "17") == 17 and spec.parse("activation", "swish") == "swish"
    assert spec.parse("optimizer", "Adam") == "Adam"  # a fixed value, not in the file
