# magnet-bot: slim, non-root, catalogs compiled, `magnet-bot run` by default.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY locales ./locales
RUN pip install --no-cache-dir --prefix=/install -c constraints.txt .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MAGNET_DATABASE_URL=sqlite:////data/magnet-bot.sqlite3
COPY --from=build /install /usr/local
RUN magnet-bot i18n compile \
    && useradd --create-home --uid 10001 magnet \
    && mkdir /data && chown magnet:magnet /data
USER magnet
WORKDIR /data
VOLUME /data
CMD ["magnet-bot", "run"]
