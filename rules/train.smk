rule train:
    input:
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
        model=config["model"],
        train=get_train_spec(),
        seed=lambda wildcards: int(wildcards.seed),
        checkpoint_dir=lambda wildcards: f"results/checkpoints/seed{wildcards.seed}",
    script:
        "../scripts/train.py"
