# shepconf as a container image FROM scratch: one static binary (libxml2 linked in) and the example
# configuration. The binary is built on the host first, so no base image is needed:
#   make image        # = scripts/build-static ./cmd/shepconf bin/shepconf-linux-static && docker build -t shepconf .
# Default command: shepconf serve, every channel of the gateway, the NCA and the reference owners,
# each listening on all interfaces (--bind 0.0.0.0) on the ports of the configuration:
#   8080  HTTP: sync /bip-sync-wss-gost/, async /bip-async, /healthz, /metrics
#   8443  HTTPS: REST /bip-rest (and the SOAP channels); its certificate names localhost and the
#         container's host name, more names with listen.restHosts
#   8081  the NCA: OCSP and CRL, named in every certificate it issues
# Mount a configuration at /etc/shepconf/shepconf.yaml and a volume at /var/lib/shepconf to keep the
# NCA's keys, the exported certificates, the journal and the asynchronous message store.
FROM scratch
COPY bin/shepconf-linux-static /shepconf
COPY fixtures/shep/shepconf.example.yaml /etc/shepconf/shepconf.yaml
# The schema compiler writes temporary files; scratch has no /tmp, and WORKDIR creates one.
WORKDIR /tmp
WORKDIR /var/lib/shepconf
EXPOSE 8080 8443 8081
ENTRYPOINT ["/shepconf"]
CMD ["serve", "--config", "/etc/shepconf/shepconf.yaml", "--state", "/var/lib/shepconf", "--bind", "0.0.0.0"]
