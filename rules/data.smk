if config["data"]["source"] == "synthetic":

    for split in SPLITS:
        for batch, samples in get_batches(split, "data").items():

            rule:
                name:
                    f"synthesize_demo_{split}_{batch}"
                output:
                    images=get_batch_files(
                        "results/data/{split}/images/{sample}.png", split, samples
                    ),
                    labels=get_batch_files(
                        "results/data/{split}/labels/{sample}.png", split, samples
                    ),
                    leaves=get_batch_files(
                        "results/data/{split}/leaves/{sample}.csv", split, samples
                    ),
                log:
                    f"results/logs/synthesize_demo/{split}/{batch}.log",
                benchmark:
                    f"results/benchmarks/synthesize_demo/{split}/{batch}.tsv"
                conda:
                    "../envs/pipeline.yaml"
                threads: 1
                params:
                    split=split,
                    batch=batch,
                    samples=samples,
                    indices=get_demo_indices(split, samples),
                    seed=config["data"]["synthetic"]["seed"],
                    height_px=config["data"]["synthetic"]["height_px"],
                    width_px=config["data"]["synthetic"]["width_px"],
                    damage_rate=config["data"]["synthetic"]["damage_rate"],
                    style=config["data"]["synthetic"]["style"],
                    given_scale=config["data"]["synthetic"]["given_scale"],
                script:
                    "../scripts/synthesize_demo.py"

else:

    for split in SPLITS:
        for batch, samples in get_batches(split, "data").items():

            rule:
                name:
                    f"ingest_{split}_{batch}"
                input:
                    **get_ingest_input(split, samples),
                output:
                    images=get_batch_files(
                        "results/data/{split}/images/{sample}.png", split, samples
                    ),
                    labels=get_batch_files(
                        "results/data/{split}/labels/{sample}.png", split, samples
                    ),
                    leaves=get_batch_files(
                        "results/data/{split}/leaves/{sample}.csv", split, samples
                    ),
                log:
                    f"results/logs/ingest/{split}/{batch}.log",
                benchmark:
                    f"results/benchmarks/ingest/{split}/{batch}.tsv"
                conda:
                    "../envs/pipeline.yaml"
                threads: 1
                params:
                    split=split,
                    batch=batch,
                    samples=samples,
                    source=config["data"]["source"],
                    mask_type=config["data"]["folder"]["mask_type"],
                    max_image_pixels=config["data"]["max_image_pixels"],
                    sheets=get_ingest_sheets(split, samples),
                script:
                    "../scripts/ingest.py"


rule collect_annotations:
    input:
        labels=get_split_files("labels", "png"),
        leaves=get_split_files("leaves", "csv"),
    output:
        leaves="results/data/{split}/leaves.csv",
        coco="results/data/{split}/annotations.json",
    log:
        "results/logs/collect_annotations/{split}.log",
    benchmark:
        "results/benchmarks/collect_annotations/{split}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    script:
        "../scripts/collect_annotations.py"
