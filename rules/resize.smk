rule resize:
    input:
        image="results/data/{split}/images/{sample}.png",
        labels="results/data/{split}/labels/{sample}.png",
    output:
        image="results/resized/{split}/images/{sample}.png",
        labels="results/resized/{split}/labels/{sample}.png",
        size="results/resized/{split}/sizes/{sample}.json",
    log:
        "results/logs/resize/{split}/{sample}.log",
    benchmark:
        "results/benchmarks/resize/{split}/{sample}.tsv"
    conda:
        "../envs/pipeline.yaml"
    threads: 1
    params:
        resize=config["resize"],
    script:
        "../scripts/resize.py"
