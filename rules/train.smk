rule train:
    input:
        unpack(get_init_input),
        patches="results/augmented/seed{seed}/patches",
        manifest="results/augmented/seed{seed}/manifest.csv",
        encoder_weights=get_encoder_weights_input,
    output:
        model="results/models/seed{seed}/model.pt",
        config="results/models/seed{seed}/config.json",
        history="results/models/seed{seed}/history.csv",
        provenance="results/models/seed{seed}/provenance.json",
    log:
        "results/logs/train/seed{seed}.log",
    benchmark:
        "results/benchmarks/train/seed{seed}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: config["train"]["threads"]
    resources:
        gpu=get_train_gpus(),
    params:
        model=get_model_spec(),
        instances_note=get_instances()["note"],
        train=get_train_spec(),
        init=get_init(),
        seed=lambda wildcards: int(wildcards.seed),
        checkpoint_dir=lambda wildcards: f"results/checkpoints/seed{wildcards.seed}",
        reproducibility=config["reproducibility"],
        threads=config["train"]["threads"],
    script:
        "../scripts/train.py"


rule verify:
    input:
        unpack(get_verify_init_input),
        patches=get_verify_file("results/augmented/seed{seed}/patches"),
        manifest=get_verify_file("results/augmented/seed{seed}/manifest.csv"),
        history=get_verify_file("results/models/seed{seed}/history.csv"),
        provenance=get_verify_file("results/models/seed{seed}/provenance.json"),
    output:
        report=f"results/verify/{get_verify_host()}.json",
    log:
        f"results/logs/verify/{get_verify_host()}.log",
    conda:
        "../envs/pipeline.yaml"
    threads: config["train"]["threads"]
    resources:
        gpu=get_train_gpus(),
    params:
        model=get_model_spec(),
        train=get_train_spec(),
        seed=get_verify_seed(),
        epochs=config["verify"]["epochs"],
        reproducibility=config["reproducibility"],
        threads=config["train"]["threads"],
    script:
        "../scripts/verify.py"
