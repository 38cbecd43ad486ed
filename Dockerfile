# vms-billing-mock as a sidecar image: one static executable on an empty base.
#
#   tools/build-static.sh                                  # the binary, with cargo only
#   podman build --format docker -t vms-billing-mock .     # or: docker build -t vms-billing-mock .
#   docker run --rm -p 8080:8080 -e VMS_MOCK_ADMIN_TOKEN=secret vms-billing-mock
#
# Nothing is pulled: `scratch` is the empty image. For machines that can pull the `rust`
# image, the README shows a multi-stage variant that builds inside Docker.
FROM scratch

COPY target/image/vms-billing-mock /vms-billing-mock

# Listen on every interface inside the container. Beyond loopback the admin API needs a
# token: set VMS_MOCK_ADMIN_TOKEN, or read the generated one from the container's log.
ENV VMS_MOCK_BIND=0.0.0.0 \
    VMS_MOCK_PORT=8080

# Not root: the mock needs no privilege (8080 is not a privileged port).
USER 65532:65532
EXPOSE 8080

# scratch has no shell and no curl: the binary probes itself.
HEALTHCHECK --interval=5s --timeout=4s --start-period=2s --retries=3 \
    CMD ["/vms-billing-mock", "health"]

ENTRYPOINT ["/vms-billing-mock"]
