for batch, samples in get_batches("test", "predict").items():

    rule:
        name:
            f"predict_sheet_test_{batch}"
        input:
            images=get_batch_files(
                "results/data/{split}/images/{sample}.png", "test", samples
            ),
            model="results/models/seed{seed}/model.pt",
            config="results/models/seed{seed}/config.json",
        output:
            **get_interior_files("seed{seed}", samples),
            probabilities=get_batch_files(
                "results/predictions/seed{seed}/{split}/{sample}.png", "test", samples
            ),
            masks=get_batch_files(
                "results/predictions/seed{seed}/{split}/masks/{sample}.png",
                "test",
                samples,
            ),
        log:
            f"results/logs/predict_sheet/seed{{seed}}/test/{batch}.log",
        benchmark:
            f"results/benchmarks/predict_sheet/seed{{seed}}/test/{batch}.tsv"
        conda:
            "../envs/pipeline.yaml"
        threads: config["predict"]["threads"]
        resources:
            gpu=get_predict_gpus(),
        params:
            split="test",
            batch=batch,
            samples=samples,
            resize=config["resize"],
            inference=get_inference_spec(),
            device=config["predict"]["device"],
            reproducibility=config["reproducibility"],
            threads=config["predict"]["threads"],
        script:
            "../scripts/predict_sheet.py"


for batch, samples in get_batches("test", "ensemble").items():

    rule:
        name:
            f"ensemble_test_{batch}"
        input:
            **{
                f"seed{seed}": get_batch_files(
                    f"results/predictions/seed{seed}/{{split}}/{{sample}}.png",
                    "test",
                    samples,
                )
                for seed in config["seeds"]
            },
            **{
                key: files
                for seed in config["seeds"]
                for key, files in get_interior_files(
                    f"seed{seed}", samples, f"seed{seed}_interior"
                ).items()
            },
        output:
            **get_interior_files("ensemble", samples),
            probabilities=get_batch_files(
                "results/predictions/ensemble/{split}/{sample}.png", "test", samples
            ),
            masks=get_batch_files(
                "results/predictions/ensemble/{split}/masks/{sample}.png",
                "test",
                samples,
            ),
        log:
            f"results/logs/ensemble/test/{batch}.log",
        benchmark:
            f"results/benchmarks/ensemble/test/{batch}.tsv"
        conda:
            "../envs/pipeline.yaml"
        threads: 1
        params:
            split="test",
            batch=batch,
            samples=samples,
            seeds=config["seeds"],
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
        given_scales=get_chunk_given_scales,
        detect_scale=config["scale"]["detect"],
        paper_long_side_mm=config["scale"]["paper_long_side_mm"],
        px_per_mm=config["unlabelled"]["px_per_mm"],
        reproducibility=config["reproducibility"],
        threads=config["predict"]["threads"],
    script:
        "../scripts/predict_chunk.py"


rule darwin_core_unlabelled:
    input:
        traits=get_unlabelled_traits,
        svm="results/svm/model.joblib",
        provenance=expand(
            "results/models/seed{seed}/provenance.json", seed=config["seeds"]
        ),
        occurrence_ids=get_occurrence_ids_input,
    output:
        table="results/dwc/unlabelled/measurementorfact.csv",
    log:
        "results/logs/darwin_core/unlabelled.log",
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    params:
        dwc=config["dwc"],
        samples=lambda wildcards: get_unlabelled_samples(),
        segmentation=get_segmentation_method(),
    script:
        "../scripts/darwin_core.py"


rule predict:
    input:
        chunks=get_unlabelled_chunks,
        traits=get_unlabelled_traits,
        coco=get_unlabelled_coco,
        dwc="results/dwc/unlabelled/measurementorfact.csv",
    output:
        sheets="results/unlabelled/sheets.csv",
        traits="results/unlabelled/traits.csv",
        intact="results/unlabelled/intact_leaves.csv",
        coco="results/unlabelled/leaves.coco.json",
    log:
        "results/logs/predict/collect.log",
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    params:
        not_images=get_unlabelled_not_images(),
    script:
        "../scripts/collect_unlabelled.py"


rule measure_chunk:
    input:
        chunk="results/unlabelled/chunks/chunk{chunk}",
        sheets=get_chunk_sheets,
        svm="results/svm/model.joblib",
    output:
        traits="results/unlabelled/traits/chunk{chunk}.csv",
        labels=directory("results/unlabelled/leaves/chunk{chunk}"),
        overlays=directory("results/unlabelled/overlays/chunk{chunk}"),
        coco="results/unlabelled/coco/chunk{chunk}.json",
    log:
        "results/logs/measure_chunk/chunk{chunk}.log",
    benchmark:
        "results/benchmarks/measure_chunk/chunk{chunk}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    params:
        measure=config["measure"],
        resize=config["resize"],
        instances=get_instances(),
        threshold=config["predict"]["threshold"],
        max_image_pixels=config["data"]["max_image_pixels"],
    script:
        "../scripts/measure_chunk.py"
