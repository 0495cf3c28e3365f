if config["data"]["source"] == "synthetic":

    rule synthesize_demo:
        output:
            image="results/data/{split}/images/{sample}.png",
            labels="results/data/{split}/labels/{sample}.png",
            leaves="results/data/{split}/leaves/{sample}.csv",
        log:
            "results/logs/synthesize_demo/{split}/{sample}.log",
        benchmark:
            "results/benchmarks/synthesize_demo/{split}/{sample}.tsv"
        conda:
            "../envs/pipeline.yaml"
        threads: 1
        params:
            seed=config["data"]["synthetic"]["seed"],
            height_px=config["data"]["synthetic"]["height_px"],
            width_px=config["data"]["synthetic"]["width_px"],
            damage_rate=config["data"]["synthetic"]["damage_rate"],
            index=get_demo_index,
        script:
            "../scripts/synthesize_demo.py"

else:

    rule ingest:
        input:
            unpack(get_ingest_input),
        output:
            image="results/data/{split}/images/{sample}.png",
            labels="results/data/{split}/labels/{sample}.png",
            leaves="results/data/{split}/leaves/{sample}.csv",
        log:
            "results/logs/ingest/{split}/{sample}.log",
        benchmark:
            "results/benchmarks/ingest/{split}/{sample}.tsv"
        conda:
            "../envs/pipeline.yaml"
        threads: 1
        params:
            source=config["data"]["source"],
            mask_type=config["data"]["folder"]["mask_type"],
            max_image_pixels=config["data"]["max_image_pixels"],
            entry=get_coco_entry,
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
