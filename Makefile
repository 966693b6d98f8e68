# The two commands of the README's Quick start: `make conformance` (the main job) and `make test`.
# Both install what they need first.

GO      ?= go
OUT     ?= out
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
BIN     := bin/shepconf

.PHONY: conformance conformance-full test fuzz bench deps build image sample-image clean

# KEY_ALGORITHM is the key of every certificate the run issues: rsa-2048, the national CA's,
# ecdsa-p256 or gost2004 (the suite under `make test` runs with gost2004, its transport scenarios
# with all three). The bus profiles cannot carry GOST keys: with gost2004 they run with rsa-2048.
KEY_ALGORITHM ?= rsa-2048
BUS_KEY_ALGORITHM ?= $(if $(filter gost2004,$(KEY_ALGORITHM)),rsa-2048,$(KEY_ALGORITHM))

## conformance: run the conformance suites against the built-in simulators at the real limits:
## ShEP's into $(OUT), the EPGU profile's into $(OUT)/epgu; the SMDO profile's into $(OUT)/smdo at
## time scale 0.02, since at scale 1 its receiving scenarios wait out 5-minute poll periods; the
## Gospochta profile's into $(OUT)/gospochta at 0.02, since at scale 1 a search takes an hour
conformance: build
	./$(BIN) run --out $(OUT) --key-algorithm $(KEY_ALGORITHM)
	./$(BIN) run --profile epgu --out $(OUT)/epgu --key-algorithm $(BUS_KEY_ALGORITHM)
	./$(BIN) run --profile smdo --out $(OUT)/smdo --time-scale 0.02 --key-algorithm $(BUS_KEY_ALGORITHM)
	./$(BIN) run --profile gospochta --out $(OUT)/gospochta --time-scale 0.02 --key-algorithm $(BUS_KEY_ALGORITHM)

## conformance-full: the suite with the load scenarios of Appendix 2 (compressed rates)
conformance-full: build
	./$(BIN) run --full --out $(OUT) --key-algorithm $(KEY_ALGORITHM)

## test: unit tests, the suite at a shrunk time scale, and the example tests
test: deps
	$(GO) test ./...

## fuzz: each fuzz target for FUZZTIME (envelope parser, schema validation, signature verifier, GOST)
FUZZTIME ?= 10s
fuzz: deps
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/envelope
	$(GO) test -run '^$$' -fuzz '^FuzzValidate$$' -fuzztime $(FUZZTIME) ./internal/schema
	$(GO) test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime $(FUZZTIME) ./internal/xsig
	$(GO) test -run '^$$' -fuzz '^FuzzSignVerify$$' -fuzztime $(FUZZTIME) ./internal/gost

## bench: benchmarks of the hot paths (gateway round trip, validation, journal)
bench: deps
	$(GO) test -run '^$$' -bench . -benchmem ./...

build: deps
	$(GO) build -ldflags "-X main.buildVersion=$(VERSION)" -o $(BIN) ./cmd/shepconf

## image: the container image shepconf:$(VERSION), FROM scratch with a static binary (Dockerfile)
image: deps
	./scripts/build-static ./cmd/shepconf bin/shepconf-linux-static $(VERSION)
	docker build -t shepconf:$(VERSION) -t shepconf:latest .

## sample-image: the sample agency system as the image shepconf-sample-agency, FROM scratch (cmd/sample-agency)
sample-image: deps
	./scripts/build-static ./cmd/sample-agency bin/sample-agency-linux-static $(VERSION)
	docker build -f cmd/sample-agency/Dockerfile -t shepconf-sample-agency:$(VERSION) -t shepconf-sample-agency:latest .

deps:
	@./scripts/deps

clean:
	rm -rf bin $(OUT)
