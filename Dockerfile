# Airbyte / airbyte-to-flow image: the protocol commands on the entrypoint.
FROM python:3.11-slim
WORKDIR /airbyte/integration_code
COPY pyproject.toml README.md manifest.yaml main.py ./
COPY schemas ./schemas
COPY source_stripe ./source_stripe
RUN pip install --no-cache-dir .
ENV AIRBYTE_ENTRYPOINT="source-stripe"
ENTRYPOINT ["source-stripe"]
LABEL io.airbyte.name=source-stripe
LABEL io.airbyte.version=0.1.0
