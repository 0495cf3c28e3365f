rule predict_sheet:
    input:
        image="results/data/{split}/images/{sample}.png",
        model="results/models/seed{seed}/model.pt",
        config="results/models/seed{seed}/config.json",
    output:
        probability="results/predictions/seed{seed}/{split}/{sample}.png",
        mask="results/predictions/seed{seed}/{split}/masks/{sample}.png",
    log:
        "results/logs/predict_sheet/seed{seed}/{split}/{sample}.log",
    benchmark:
        "results/benchmarks/predict_sheet/seed{seed}/{split}/{sample}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: config["predict"]["threads"]
    params:
        resize=config["resize"],
        inference=get_inference_spec(),
        device=config["predict"]["device"],
    script:
        "../scripts/predict_sheet.py"


rule ensemble:
    input:
        probabilities=expand(
            "results/predictions/seed{seed}/{{split}}/{{sample}}.png",
            seed=config["seeds"],
        ),
    output:
        probability="results/predictions/ensemble/{split}/{sample}.png",
        mask="results/predictions/ensemble/{split}/masks/{sample}.png",
    log:
        "results/logs/ensemble/{split}/{sample}.log",
    benchmark:
        "results/benchmarks/ensemble/{split}/{sample}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    params:
        threshold=config["predict"]["threshold"],
    script:
        "../scripts/ensemble.py"


rule predict_chunk:
    input:
        sheets=get_chunk_sheets,
        models=expand("results/models/seed{seed}/model.pt", seed=config["seeds"]),
        configs=expand("results/models/seed{seed}/config.json", seed=config["seeds"]),
    output:
        chunk=directory("results/unlabelled/chunks/chunk{chunk}"),
    log:
        "results/logs/predict_chunk/chunk{chunk}.log",
    benchmark:
        "results/benchmarks/predict_chunk/chunk{chunk}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: config["predict"]["threads"]
    params:
        sheets=get_chunk_sheets,
        resize=config["resize"],
        inference=get_inference_spec(),
        device=config["predict"]["device"],
        max_image_pixels=config["data"]["max_image_pixels"],
    script:
        "../scripts/predict_chunk.py"


rule predict:
    input:
        chunks=get_unlabelled_chunks,
        traits=get_unlabelled_traits,
    output:
        sheets="results/unlabelled/sheets.csv",
        traits="results/unlabelled/traits.csv",
        intact="results/unlabelled/intact_leaves.csv",
    log:
        "results/logs/predict/collect.log",
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    script:
        "../scripts/collect_unlabelled.py"


rule measure_chunk:
    input:
        chunk="results/unlabelled/chunks/chunk{chunk}",
        svm="results/svm/model.joblib",
    output:
        traits="results/unlabelled/traits/chunk{chunk}.csv",
    log:
        "results/logs/measure_chunk/chunk{chunk}.log",
    benchmark:
        "results/benchmarks/measure_chunk/chunk{chunk}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    params:
        measure=config["measure"],
        px_per_mm=config["unlabelled"]["px_per_mm"],
    script:
        "../scripts/measure_chunk.py"
