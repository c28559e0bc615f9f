# syntax=docker/dockerfile:1
# The lmp image: every role (serve, gateway, ledger, publisher, sandbox, and the client commands)
# from one image; the command chooses the role (docker-compose.yml, docs/operations.md).
#   docker build -t letmepost-streams:local .
#   docker run --rm letmepost-streams:local --help

# ---- build: the Maven Wrapper, as on a developer's machine ----
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY mvnw pom.xml ./
COPY .mvn .mvn
COPY src src
# Maven's repository is a BuildKit cache: a rebuild downloads only what pom.xml added.
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -ntp -q -DskipTests package

# ---- run: a JRE 17, a non-root user, lmp as the entry point ----
FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 lmp \
 && useradd --system --uid 10001 --gid lmp --home-dir /var/lib/lmp --shell /usr/sbin/nologin lmp \
 && mkdir -p /var/lib/lmp \
 && chown lmp:lmp /var/lib/lmp
COPY --from=build /src/target/letmepost-streams.jar /opt/lmp/letmepost-streams.jar
COPY --from=build /src/target/lib /opt/lmp/lib
COPY deploy/docker/lmp /usr/local/bin/lmp
COPY deploy/docker/healthcheck /usr/local/bin/lmp-healthcheck
USER lmp
WORKDIR /var/lib/lmp
# Every role's state and the sandbox's posts.jsonl go under the data directory.
ENV LMP_DATA_DIR=/var/lib/lmp \
    LMP_JAVA_OPTS="-XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError" \
    LMP_HEALTH_PORT=8080
VOLUME /var/lib/lmp
# 8080: the HTTP API of serve and gateway (with /healthz, /readyz, /metrics); 8081, 8082, 8091:
# /healthz, /readyz and /metrics of ledger, publisher and sandbox; 8090: the sandbox platform.
EXPOSE 8080 8081 8082 8090 8091
HEALTHCHECK --interval=10s --timeout=6s --start-period=120s --retries=3 CMD ["lmp-healthcheck"]
ENTRYPOINT ["lmp"]
CMD ["--help"]
