import glob
import platform
import re
from functools import cache
from pathlib import Path

# The herbarium_leaves package must be installed where Snakemake and its jobs run
# (README: pip install -e .).
from herbarium_leaves.batches import assign_batches
from herbarium_leaves.config import ConfigError, load_schema, validate_config
from herbarium_leaves.ingest import (
    IMAGE_SUFFIXES,
    SPLITS,
    assign_splits,
    check_input_path,
    coco_samples,
    images_by_stem,
    not_images,
    folder_samples,
    read_coco,
    read_leaves_csv,
    read_scale_table,
    splits_from_column,
)
from herbarium_leaves.reproducibility import ReproducibilityError, pin_cpu_numerics
from herbarium_leaves.sheet_io import InputError
from herbarium_leaves.synthetic import (
    PRETRAIN_INDEX_OFFSET,
    SVM_INDEX_OFFSET,
    demo_sheets,
)

try:
    config.update(
        validate_config(
            config, load_schema(Path(workflow.basedir, "schemas/config.schema.yaml"))
        )
    )
except ConfigError as error:
    raise WorkflowError(str(error)) from None


def check_config_file(key, path, what):
    """Stop the run in one line when a file a config key names is missing or unusable."""
    try:
        check_input_path(path)
        if not Path(path).is_file():
            raise InputError(path, f"{what} not found")
    except InputError as error:
        raise WorkflowError(f"config key '{key}': {error}") from None


# Before any job starts: every job process inherits the CPU numerics of config `reproducibility`.
try:
    pin_cpu_numerics(config["reproducibility"])
except ReproducibilityError as error:
    raise WorkflowError(f"config key 'reproducibility': {error}") from None


@cache
def get_instances():
    """config `instances` in effect, and why it differs: learned needs instance labels, binary masks have none."""
    instances = dict(config["instances"])
    data = config["data"]
    binary = data["source"] == "folder" and data["folder"]["mask_type"] == "binary"
    instances["note"] = None
    if instances["method"] == "learned" and binary:
        instances["method"] = "components"
        instances["note"] = (
            "instances.method learned needs one id per leaf, but data.folder.mask_type is binary: "
            "leaves are the masks' connected components"
        )
    return instances


def get_training_target():
    """What the network learns from the labels, and how the truth is measured: method and margin only."""
    instances = get_instances()
    return {"method": instances["method"], "margin_px": instances["margin_px"]}


def get_truth_measure_spec():
    """config measure as the truth needs it: true outlines are not refined, so those settings do not rerun it."""
    return {
        key: value
        for key, value in config["measure"].items()
        if not key.startswith("refine")
    }


def get_model_spec():
    """config `model` with the network's outputs: leaf, and leaf interior when instances are learned."""
    return {
        **{key: value for key, value in config["model"].items() if key != "init"},
        "classes": 2 if get_instances()["method"] == "learned" else 1,
    }


def get_init():
    """config model.init in words the train script reads: no source, the seed's pretraining, or a file."""
    init = config["model"]["init"]
    if init is None:
        return {"source": None}
    if init == "pretrain":
        return {"source": "pretrain"}
    return {"source": "file", "path": init}


def get_init_files(seed):
    """The weights a seed's training starts from (and the pretraining's provenance), if any."""
    init = get_init()
    if init["source"] == "pretrain":
        folder = f"results/pretrain/models/seed{seed}"
        return {
            "init": f"{folder}/model.pt",
            "init_provenance": f"{folder}/provenance.json",
        }
    return {"init": init["path"]} if init["source"] == "file" else {}


def get_init_input(wildcards):
    """Input function: get_init_files of the job's seed."""
    return get_init_files(wildcards.seed)


def get_pretrain_samples():
    """Names of the generated pretraining sheets."""
    return [f"pretrain_{index:05d}" for index in range(config["pretrain"]["sheets"])]


@cache
def get_pretrain_batches():
    """The pretraining sheets in batches of about batch.data sheets, keyed by batch name."""
    return assign_batches(get_pretrain_samples(), config["batch"]["data"])


def get_pretrain_indices(samples):
    """Generator indices of pretraining sheets (from PRETRAIN_INDEX_OFFSET, apart from the demo's)."""
    return [PRETRAIN_INDEX_OFFSET + int(sample.split("_")[1]) for sample in samples]


def get_pretrain_files(kind, samples=None):
    """The pretraining sheets' images or labels at the working resolution."""
    return [
        f"results/pretrain/resized/{kind}/{sample}.png"
        for sample in (get_pretrain_samples() if samples is None else samples)
    ]


def get_pretrain_generator():
    """How the pretraining sheets are drawn: config pretrain, less count and epochs."""
    return {
        key: value
        for key, value in config["pretrain"].items()
        if key not in ("sheets", "epochs")
    }


def get_pretrain_train_spec():
    """The train settings, with pretrain.epochs."""
    return {**get_train_spec(), "epochs": config["pretrain"]["epochs"]}


def get_interior_files(model, samples, key="interior"):
    """{key: the batch's leaf-interior probability files of `model`} when instances are learned, else {}."""
    if get_instances()["method"] != "learned":
        return {}
    pattern = f"results/predictions/{model}/{{split}}/interior/{{sample}}.png"
    return {key: get_batch_files(pattern, "test", samples)}


def get_instance_maps(model, samples):
    """{interior, probabilities: the batch's leaf-interior and leaf files of `model`} if instances are learned."""
    if get_instances()["method"] != "learned":
        return {}
    probabilities = f"results/predictions/{model}/{{split}}/{{sample}}.png"
    return {
        **get_interior_files(model, samples),
        "probabilities": get_batch_files(probabilities, "test", samples),
    }


ENCODER_WEIGHTS_FILE = (
    None
    if config["model"]["encoder_weights"] in (None, "imagenet")
    else config["model"]["encoder_weights"]
)
if ENCODER_WEIGHTS_FILE:
    check_config_file("model.encoder_weights", ENCODER_WEIGHTS_FILE, "weights file")
if get_init()["source"] == "file":
    check_config_file("model.init", get_init()["path"], "weights file")
if config["dwc"]["occurrence_ids"]:
    check_config_file("dwc.occurrence_ids", config["dwc"]["occurrence_ids"], "file")
if config["unlabelled"]["scales"]:
    check_config_file("unlabelled.scales", config["unlabelled"]["scales"], "file")


wildcard_constraints:
    split="|".join(SPLITS),
    seed=r"\d+",
    chunk=r"\d+",
    model=r"seed\d+|ensemble",


@cache
def get_sample_table():
    """Every sheet with its split and where it comes from (index, image, mask, COCO entry)."""
    data = config["data"]
    split = data["split"]
    try:
        if data["source"] == "synthetic":
            synthetic = data["synthetic"]
            return demo_sheets(synthetic["n_train"], synthetic["n_test"])
        if data["source"] == "folder":
            table = folder_samples(data["folder"]["images"], data["folder"]["masks"])
            leaves_csv = data["folder"]["leaves_csv"]
            if split["column"]:
                if not leaves_csv:
                    raise ConfigError(
                        "config key 'data.split.column' needs 'data.folder.leaves_csv'"
                    )
                splits = splits_from_column(
                    read_leaves_csv(leaves_csv), split["column"], leaves_csv
                )
            source = leaves_csv
        else:
            annotations = data["coco"]["annotations"]
            table = coco_samples(
                read_coco(annotations), data["coco"]["images"], annotations
            )
            if split["column"]:
                splits = splits_from_column(table, split["column"], annotations)
            source = annotations
        if not split["column"]:
            splits = assign_splits(
                list(table["sample"]), split["test_fraction"], split["seed"]
            )
        for path in [*table["image"], *table.get("mask", []), source]:
            if isinstance(path, str):
                check_input_path(path)
        missing = sorted(set(table["sample"]) - set(splits))
        if missing:
            raise InputError(source, f"sample {missing[0]} has no split")
        return table.assign(split=table["sample"].map(splits))
    except (InputError, ConfigError) as error:
        raise WorkflowError(str(error)) from None


def get_samples(split):
    """Names of the sheets in a split."""
    table = get_sample_table()
    return list(table.loc[table["split"] == split, "sample"])


@cache
def get_batches(split, stage):
    """The sheets of a split in batches of about `batch.<stage>` sheets, keyed by batch name."""
    return assign_batches(get_samples(split), config["batch"][stage])


def get_batch_files(pattern, split, samples):
    """One path per sheet of a batch: `pattern` with {split} and {sample} filled (other wildcards kept)."""
    pattern = pattern.replace("{split}", split)
    return [pattern.replace("{sample}", sample) for sample in samples]


@cache
def get_split_table(split):
    """The sample table's rows of one split, indexed by sheet name."""
    table = get_sample_table()
    return table[table["split"] == split].set_index("sample")


def get_sample_entries(split, samples):
    """The sample table's rows of some sheets of a split, in the order given, as dicts."""
    rows = get_split_table(split)
    return [{"sample": sample, **rows.loc[sample].to_dict()} for sample in samples]


def get_demo_indices(split, samples):
    """Generator indices of demo sheets."""
    return [int(entry["index"]) for entry in get_sample_entries(split, samples)]


def get_mask_paths(split, samples):
    """Each sheet's mask path in the folder form; None for a sheet without a mask (its job names it)."""
    return [
        entry["mask"] if isinstance(entry["mask"], str) else None  # NaN in the table
        for entry in get_sample_entries(split, samples)
    ]


def get_ingest_input(split, samples):
    """A batch of a user's sheets: images and masks (folder) or the COCO file, and the leaves CSV."""
    data = config["data"]
    inputs = {
        "images": [entry["image"] for entry in get_sample_entries(split, samples)]
    }
    if data["source"] == "folder":
        inputs["masks"] = [path for path in get_mask_paths(split, samples) if path]
        if data["folder"]["leaves_csv"]:
            inputs["leaves_csv"] = data["folder"]["leaves_csv"]
    else:
        inputs["annotations"] = data["coco"]["annotations"]
    return inputs


def get_ingest_sheets(split, samples):
    """Per sheet of a batch: its mask (folder form) or COCO image entry (id, size, resolved path)."""
    if config["data"]["source"] == "folder":
        return [{"mask": mask} for mask in get_mask_paths(split, samples)]
    return [
        {
            "image_id": int(entry["image_id"]),
            "file_name": str(entry["file_name"]),
            "height": int(entry["height"]),
            "width": int(entry["width"]),
            "image": str(entry["image"]),
        }
        for entry in get_sample_entries(split, samples)
    ]


def get_split_files(kind, extension, split=None):
    """Input function: one file per sheet of a split (or the wildcard's) under results/data."""

    def files(wildcards):
        chosen = split or wildcards.split
        return [
            f"results/data/{chosen}/{kind}/{sample}.{extension}"
            for sample in get_samples(chosen)
        ]

    return files


def get_leaf_files(kind, extension, split=None, model=None):
    """Input function: one file per sheet of a model's leaves (labels or measured traits)."""

    def files(wildcards):
        chosen_split, chosen_model = split or wildcards.split, model or wildcards.model
        return [
            f"results/leaves/{chosen_model}/{chosen_split}/{kind}/{sample}.{extension}"
            for sample in get_samples(chosen_split)
        ]

    return files


def get_scale_files(split):
    """Every sheet's scale record in a split."""
    return [f"results/scale/{split}/{sample}.json" for sample in get_samples(split)]


def get_truth_traits(split):
    """The measured true leaves of every sheet of a split."""
    return [
        f"results/leaves/truth/{split}/measured/{sample}.csv"
        for sample in get_samples(split)
    ]


def get_svm_learn_from():
    """config svm.learn_from in effect: auto is annotations for the synthetic demo, whose leaves all have flags."""
    learn_from = config["svm"]["learn_from"]
    if learn_from == "auto" and config["data"]["source"] == "synthetic":
        return "annotations"
    return learn_from


def get_svm_generated_samples():
    """Names of the generated sheets the SVM learns from (none when it learns from annotations only)."""
    if get_svm_learn_from() == "annotations":
        return []
    return [f"svm_{index:05d}" for index in range(config["svm"]["generated"]["sheets"])]


@cache
def get_svm_generated_batches():
    """The SVM's generated sheets in batches of about batch.data sheets, keyed by batch name."""
    return assign_batches(get_svm_generated_samples(), config["batch"]["data"])


def get_svm_generated_indices(samples):
    """Generator indices of the SVM's generated sheets (from SVM_INDEX_OFFSET)."""
    return [SVM_INDEX_OFFSET + int(sample.split("_")[1]) for sample in samples]


def get_svm_generator():
    """How the SVM's generated sheets are drawn: the pretraining sheets' look at svm.generated's size."""
    size = {key: config["svm"]["generated"][key] for key in ("height_px", "width_px")}
    return {**get_pretrain_generator(), **size}


def get_svm_generated_files(samples=None):
    """The measured true leaves of the SVM's generated sheets."""
    return [
        f"results/svm/generated/{sample}.csv"
        for sample in (get_svm_generated_samples() if samples is None else samples)
    ]


def get_svm_training_input():
    """The measured true leaves train_svm reads: the training sheets' and/or the generated sheets'."""
    inputs = {"generated": get_svm_generated_files()}
    if get_svm_learn_from() != "generated":
        inputs["traits"] = get_truth_traits("train")
    return inputs


def get_segmentation_method():
    """How exported leaves were found, in words (Darwin Core measurementMethod)."""
    instances, measure = get_instances(), config["measure"]
    if instances["method"] == "learned":
        leaves = (
            "leaves split at the network's leaf interiors (seeds at interior probability given leaf "
            f">= {instances['seed_threshold']}, weak seeds >= {instances['weak_seed_threshold']})"
        )
    elif measure["split_touching"]:
        leaves = "leaves as connected components, touching ones split by a distance watershed"
    else:
        leaves = "leaves as 8-connected components"
    if measure["refine_outlines"]:
        leaves += ", outlines refined at the sheet's resolution"
    return (
        f"DeepLabv3+ ({config['model']['encoder']} encoder), mean of the seeds "
        f"{', '.join(map(str, config['seeds']))}, sliding-window inference; {leaves}"
    )


def get_occurrence_ids_input(wildcards):
    """The sheet-to-occurrenceID CSV when one is configured, so that a new mapping redoes the export."""
    path = config["dwc"]["occurrence_ids"]
    return [path] if path else []


def get_unlabelled_samples():
    """Names (file stems) of the unlabelled sheets."""
    return [Path(path).stem for path in get_unlabelled_sheets()]


def get_prediction_files(models, kinds=("",)):
    """Each model's prediction PNGs of every test sheet, model by model: probabilities
    (kind "") and/or masks (kind "masks/")."""
    return [
        f"results/predictions/{model}/test/{kind}{sample}.png"
        for model in models
        for sample in get_samples("test")
        for kind in kinds
    ]


def get_models():
    """Every model: one per seed, and the seed ensemble."""
    return [f"seed{seed}" for seed in config["seeds"]] + ["ensemble"]


def get_resized_files(split, kind):
    """Every sheet's resized image or labels PNG in a split."""
    return [
        f"results/resized/{split}/{kind}/{sample}.png" for sample in get_samples(split)
    ]


def get_train_spec():
    """The train settings that shape the model (threads are the rule's own)."""
    return {key: value for key, value in config["train"].items() if key != "threads"}


def get_encoder_weights_input(wildcards):
    """The local encoder weights file, so that a new file retrains the models (none for null or imagenet)."""
    return [ENCODER_WEIGHTS_FILE] if ENCODER_WEIGHTS_FILE else []


def get_verify_seed():
    """The seed the verify target re-trains: verify.seed, else the first of seeds."""
    seed = config["verify"]["seed"]
    return config["seeds"][0] if seed is None else seed


def get_verify_file(pattern):
    """A file of the seed the verify target re-trains."""
    return pattern.format(seed=get_verify_seed())


def get_verify_init_input(wildcards):
    """The weights the verified seed's training started from, if any."""
    return get_init_files(get_verify_seed())


def get_verify_host():
    """This machine's name for the verify report, so each machine checks once (--forcerun verify to repeat)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", platform.node()) or "this-machine"


def get_train_gpus():
    """GPUs a training job asks for: one unless it is told to use the CPU."""
    return 0 if config["train"]["device"] == "cpu" else 1


def get_predict_gpus():
    """GPUs an inference job asks for: one unless it is told to use the CPU."""
    return 0 if config["predict"]["device"] == "cpu" else 1


def get_inference_spec():
    """Inference settings shared by every predicting rule (windows of patch.size px)."""
    predict = config["predict"]
    return {
        "window": config["patch"]["size"],
        **{
            key: predict[key]
            for key in ("overlap", "batch_size", "blend", "pad", "threshold", "bf16")
        },
    }


def get_unlabelled_paths(pattern):
    """Every path unlabelled.sheets names: a folder's entries, or a glob's matches."""
    if Path(pattern).is_dir():
        return Path(pattern).iterdir()
    return map(Path, glob.glob(pattern, recursive=True))


@cache
def get_unlabelled_sheets():
    """A user's unlabelled sheets (folder or glob), sorted; duplicate names refused."""
    pattern = config["unlabelled"]["sheets"]
    if not pattern:
        raise WorkflowError(
            "config key 'unlabelled.sheets' is not set: no unlabelled sheets to predict"
        )
    try:
        found = images_by_stem(get_unlabelled_paths(pattern), pattern)
        paths = [str(path) for path in found.values()]
        if not paths:
            raise InputError(pattern, f"no images ({', '.join(IMAGE_SUFFIXES)}) found")
        for path in paths:
            check_input_path(path)
        return paths
    except InputError as error:
        raise WorkflowError(str(error)) from None


def get_unlabelled_not_images():
    """Files that unlabelled.sheets names but that are not taken as images (a PDF, a text file), as strings."""
    pattern = config["unlabelled"]["sheets"]
    if not pattern:
        return []
    return [str(path) for path in not_images(get_unlabelled_paths(pattern))]


def get_chunk_sheets(wildcards):
    """The sheets of one unlabelled chunk (unlabelled.chunk_size of them)."""
    size = config["unlabelled"]["chunk_size"]
    start = int(wildcards.chunk) * size
    return get_unlabelled_sheets()[start : start + size]


@cache
def get_given_scales():
    """The given px_per_mm of unlabelled scans by name (unlabelled.scales), checked while parsing."""
    path = config["unlabelled"]["scales"]
    try:
        return read_scale_table(path) if path else {}
    except InputError as error:
        raise WorkflowError(f"config key 'unlabelled.scales': {error}") from None


def get_chunk_given_scales(wildcards):
    """The given px_per_mm of the scans of one chunk that have one."""
    given = get_given_scales()
    stems = (Path(path).stem for path in get_chunk_sheets(wildcards))
    return {stem: given[stem] for stem in stems if stem in given}


# List the unlabelled sheets (and their given scales) while parsing, so that a bad pattern, name or scale
# table stops any run at once, in one line.
if config["unlabelled"]["sheets"]:
    get_unlabelled_sheets()
    get_given_scales()


def get_unlabelled_chunks(wildcards):
    """One output folder per chunk of unlabelled sheets."""
    count = -(-len(get_unlabelled_sheets()) // config["unlabelled"]["chunk_size"])
    return [f"results/unlabelled/chunks/chunk{chunk}" for chunk in range(count)]


def get_unlabelled_traits(wildcards):
    """One traits table per chunk of unlabelled sheets."""
    return [
        chunk.replace("chunks/chunk", "traits/chunk") + ".csv"
        for chunk in get_unlabelled_chunks(wildcards)
    ]


def get_unlabelled_coco(wildcards):
    """One COCO file of leaf outlines per chunk of unlabelled sheets."""
    return [
        chunk.replace("chunks/chunk", "coco/chunk") + ".json"
        for chunk in get_unlabelled_chunks(wildcards)
    ]


def get_model_output():
    """Each seed's model files."""
    return expand(
        "results/models/seed{seed}/{name}",
        seed=config["seeds"],
        name=["model.pt", "config.json", "history.csv", "provenance.json"],
    )


def get_resized_output():
    """Every sheet's image, labels and size record at the working resolution."""
    return [
        f"results/resized/{split}/{kind}/{sample}.{extension}"
        for split in SPLITS
        for sample in get_samples(split)
        for kind, extension in (("images", "png"), ("labels", "png"), ("sizes", "json"))
    ]


def get_final_output():
    """What `snakemake` builds by default."""
    return [
        *expand("results/data/{split}/leaves.csv", split=SPLITS),
        *expand("results/data/{split}/annotations.json", split=SPLITS),
        *get_resized_output(),
        *get_model_output(),
        *get_prediction_files(get_models(), ("", "masks/")),
        *expand("results/leaves/{model}/test/traits.csv", model=get_models()),
        "results/metrics/summary.csv",
        "results/dwc/test/measurementorfact.csv",
        "results/report/report.html",
    ]
