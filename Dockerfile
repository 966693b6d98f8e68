# shepconf as a container image FROM scratch: one static binary (libxml2 linked in) and the example
# configuration. The binary is built on the host first, so no base image is needed:
#   make image        # = scripts/build-static ./cmd/shepconf bin/shepconf-linux-static && docker build -t shepconf .
# Default command: the gateway, the NCA and the reference owner (shepconf serve), the gateway on port
# 8080 with /healthz and /metrics. Mount a configuration at /etc/shepconf/shepconf.yaml and a volume
# at /var/lib/shepconf to keep the NCA's keys and the exported certificates.
FROM scratch
COPY bin/shepconf-linux-static /shepconf
COPY fixtures/shepconf.example.yaml /etc/shepconf/shepconf.yaml
# The schema compiler writes temporary files; scratch has no /tmp, and WORKDIR creates one.
WORKDIR /tmp
WORKDIR /var/lib/shepconf
EXPOSE 8080
ENTRYPOINT ["/shepconf"]
CMD ["serve", "--config", "/etc/shepconf/shepconf.yaml", "--state", "/var/lib/shepconf", "--listen", ":8080"]
