# Synthetic pretraining (model.init: pretrain): nothing here reads the user's data, so changing the
# data never reruns it.
for batch, samples in get_pretrain_batches().items():

    rule:
        name:
            f"synthesize_pretrain_{batch}"
        output:
            images=get_pretrain_files("images", samples),
            labels=get_pretrain_files("labels", samples),
        log:
            f"results/logs/synthesize_pretrain/{batch}.log",
        benchmark:
            f"results/benchmarks/synthesize_pretrain/{batch}.tsv"
        conda:
            "../envs/pipeline.yaml"
        threads: 1
        params:
            split="pretrain",
            batch=batch,
            samples=samples,
            indices=get_pretrain_indices(samples),
            generator=get_pretrain_generator(),
            resize=config["resize"],
        script:
            "../scripts/synthesize_pretrain.py"


rule augment_pretrain:
    input:
        images=get_pretrain_files("images"),
        labels=get_pretrain_files("labels"),
    output:
        patches=directory("results/pretrain/augmented/seed{seed}/patches"),
        manifest="results/pretrain/augmented/seed{seed}/manifest.csv",
    log:
        "results/logs/augment_pretrain/seed{seed}.log",
    benchmark:
        "results/benchmarks/augment_pretrain/seed{seed}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    params:
        augment=config["augment"],
        target=get_training_target(),
        window=config["patch"]["size"],
        stride=config["patch"]["stride"],
        seed=lambda wildcards: int(wildcards.seed),
    script:
        "../scripts/augment.py"


rule pretrain:
    input:
        patches="results/pretrain/augmented/seed{seed}/patches",
        manifest="results/pretrain/augmented/seed{seed}/manifest.csv",
        encoder_weights=get_encoder_weights_input,
    output:
        model="results/pretrain/models/seed{seed}/model.pt",
        config="results/pretrain/models/seed{seed}/config.json",
        history="results/pretrain/models/seed{seed}/history.csv",
        provenance="results/pretrain/models/seed{seed}/provenance.json",
    log:
        "results/logs/pretrain/seed{seed}.log",
    benchmark:
        "results/benchmarks/pretrain/seed{seed}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: config["train"]["threads"]
    resources:
        gpu=get_train_gpus(),
    params:
        model=get_model_spec(),
        instances_note=None,
        train=get_pretrain_train_spec(),
        init={"source": None},
        seed=lambda wildcards: int(wildcards.seed),
        checkpoint_dir=lambda wildcards: f"results/checkpoints/pretrain/seed{wildcards.seed}",
        reproducibility=config["reproducibility"],
        threads=config["train"]["threads"],
    script:
        "../scripts/train.py"
