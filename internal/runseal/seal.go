// Package runseal makes the outputs of a conformance run tamper-evident. At the end of a run the
// harness signs, with a key kept outside the run's folder, the SHA-256 of each output the test act
// is drawn from (run.json and the cucumber JSON it summarises) and of the reports shown to people
// (junit.xml, report.html). The signature is a JWS (RFC 7515, compact form) whose payload lists the
// digests: run.seal.jws beside the outputs. The act checks it before it reads anything from them
// (A4-F: the act is filled from the run as the harness recorded it), so a run at a shrunk time
// scale cannot be edited into one that certifies.
package runseal

import (
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

// File is the seal, beside the outputs it covers.
const File = "run.seal.jws"

// sealType is the JWS "typ" of a seal: a seal is never taken for another JWS, nor one for it.
const sealType = "shepconf-run-seal+json"

// algorithms are the only ones a seal is verified under; anything else is refused unread.
var algorithms = []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA}

// Manifest is the payload of a seal: the harness key that signed it and the digest of each file.
type Manifest struct {
	Sealed time.Time `json:"sealed"`
	Key    string    `json:"key"` // Fingerprint of the harness key
	// Files maps each output's name in the run's folder to "sha256:" and its hex digest.
	Files map[string]string `json:"files"`
}

// Seal signs the digests of the named files in dir with key and writes the seal to dir/File, whole
// or not at all (a temporary file renamed over it).
func Seal(dir string, key crypto.Signer, names ...string) (Manifest, error) {
	m := Manifest{Sealed: time.Now().UTC().Truncate(time.Second), Key: Fingerprint(key.Public()), Files: map[string]string{}}
	for _, name := range names {
		d, err := digest(filepath.Join(dir, name))
		if err != nil {
			return m, fmt.Errorf("seal the run: %w", err)
		}
		m.Files[name] = d
	}
	payload, err := json.Marshal(m)
	if err != nil {
		return m, err
	}
	opts := (&jose.SignerOptions{}).WithType(sealType).WithHeader("kid", m.Key)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(algorithmOf(key.Public())), Key: key}, opts)
	if err != nil {
		return m, fmt.Errorf("seal the run: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return m, fmt.Errorf("seal the run: %w", err)
	}
	compact, err := jws.CompactSerialize()
	if err != nil {
		return m, err
	}
	return m, writeAtomic(filepath.Join(dir, File), []byte(compact+"\n"), 0o644)
}

// Verify checks the seal in dir with the harness's public key, then every file it lists, and that
// each of the required files is among them. The refusal names the file and what to do; it is a
// *rule.Breach of A4-F, the act that is drawn from these files.
func Verify(dir string, pub crypto.PublicKey, required ...string) (Manifest, error) {
	var m Manifest
	path := filepath.Join(dir, File)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return m, refusal(path, msg.F("the seal the harness writes at the end of a run"), msg.F("no seal: the run did not finish, or its results were copied without it"),
			msg.F("run the suite again (shepconf run --out %s), or copy %s with the results", dir, File))
	}
	if err != nil {
		return m, err
	}
	jws, err := jose.ParseSignedCompact(strings.TrimSpace(string(b)), algorithms)
	if err != nil || len(jws.Signatures) != 1 {
		return m, refusal(path, msg.F("a JWS signed with ES256 or EdDSA"), msg.F("not a seal (%v)", err), runAgain(dir))
	}
	want := Fingerprint(pub)
	if kid := jws.Signatures[0].Header.KeyID; kid != want {
		return m, refusal(path, msg.F("a seal by the harness key %s", want), msg.F("a seal by the harness key %s", kid),
			msg.F("give --harness-key the key (or public key) of the harness that ran the suite, or run the suite again with this one"))
	}
	payload, err := jws.Verify(pub)
	if err != nil || jws.Signatures[0].Protected.ExtraHeaders[jose.HeaderType] != sealType {
		return m, refusal(path, msg.F("a signature of the harness key %s", want), msg.F("a signature that does not verify: the seal was altered"),
			runAgain(dir))
	}
	if err := json.Unmarshal(payload, &m); err != nil {
		return m, refusal(path, msg.F("a list of the run's files and their digests"), msg.Of(err), runAgain(dir))
	}
	for _, name := range required {
		if _, ok := m.Files[name]; !ok {
			return m, refusal(filepath.Join(dir, name), msg.F("a file the seal covers"), msg.F("a file the seal does not list"),
				runAgain(dir))
		}
	}
	names := make([]string, 0, len(m.Files))
	for name := range m.Files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if name != filepath.Base(name) {
			return m, refusal(path, msg.F("files of the run's folder"), msg.F("the file %s", name), runAgain(dir))
		}
		file := filepath.Join(dir, name)
		got, err := digest(file)
		if err != nil {
			return m, refusal(file, msg.F("the file as the run wrote it"), msg.F("no such file"), msg.F("run the suite again (shepconf run --out %s), or copy every file of the run", dir))
		}
		if got != m.Files[name] {
			return m, refusal(file, msg.F("the file as the run wrote it (%s)", m.Files[name]), msg.F("a file changed after the run (%s)", got),
				msg.F("run the suite again (shepconf run --out %s): a run's results are not edited", dir))
		}
	}
	return m, nil
}

func refusal(field string, expected, observed, fix msg.Text) *rule.Breach {
	return &rule.Breach{Rule: "A4-F", Field: msg.Raw(field), Expected: expected, Observed: observed, Fix: fix}
}

// runAgain is the fix for a run's folder that cannot be trusted: only a new run makes results.
func runAgain(dir string) msg.Text { return msg.F("run the suite again (shepconf run --out %s)", dir) }

func digest(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// writeAtomic writes a file whole or not at all: a reader never sees half a seal.
func writeAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := writeTemp(path, data, perm)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	return os.Rename(tmp, path)
}

// writeTemp writes data, synced, with perm, to a new temporary file beside path and returns its
// name, for the caller to rename or link into place.
func writeTemp(path string, data []byte, perm os.FileMode) (string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return "", err
	}
	err = tmp.Chmod(perm)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
}
