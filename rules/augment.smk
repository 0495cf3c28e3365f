rule augment:
    input:
        images=get_resized_files("train", "images"),
        labels=get_resized_files("train", "labels"),
    output:
        patches=directory("results/augmented/seed{seed}/patches"),
        manifest="results/augmented/seed{seed}/manifest.csv",
    log:
        "results/logs/augment/seed{seed}.log",
    benchmark:
        "results/benchmarks/augment/seed{seed}.tsv"
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
