# cpu-bound: two CPU-heavy stages side by side on a 2-core host.
# app runs two installs one after the other (each a busy loop, one core each);
# heavy runs a CPU-bound test suite beside them. Every core is busy while app's
# installs, the critical path, run: splitting app gains less than idle cores would.
FROM kitprof/busybox:latest AS base
RUN echo "preparing base" && mkdir -p /work

FROM base AS heavy
RUN echo "running the property tests" \
 && i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; mkdir -p /report && echo "$i cases" > /report/tests.txt

FROM base AS app-toolchain
RUN echo "installing toolchain alpha" \
 && i=0; while [ $i -lt 220000 ]; do i=$((i+1)); done; mkdir -p /opt/alpha && echo "$i" > /opt/alpha/ready

FROM base AS app
RUN echo "installing toolchain beta" \
 && i=0; while [ $i -lt 220000 ]; do i=$((i+1)); done; mkdir -p /opt/beta && echo "$i" > /opt/beta/ready
COPY --from=app-toolchain /opt/alpha /opt/alpha

FROM base AS final
COPY --from=heavy /report/ /report/
COPY --from=app /opt/ /opt/
RUN ls -R /opt /report
