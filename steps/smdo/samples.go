package smdo

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/assembly/smdo"
	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/msg"
)

// The documents of the scenarios: a letter (a document kind of the router's directory) with a PDF
// and, for two files, a plain-text attachment (file types of the directory).
const (
	sampleKind = "Письмо"
	samplePDF  = "Письмо.pdf"
	sampleText = "Приложение.txt"
)

// sampleFiles are the first n of the sample files, by name.
func sampleFiles(n int) map[string][]byte {
	files := map[string][]byte{samplePDF: []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% Письмо о проверке соответствия\n%%EOF\n")}
	if n > 1 {
		files[sampleText] = []byte("Приложение к письму: перечень проверок.\n")
	}
	for i := 3; i <= n; i++ {
		files[fmt.Sprintf("Приложение-%d.txt", i)] = []byte(fmt.Sprintf("Приложение %d.\n", i))
	}
	return files
}

func (w *World) counterpartSent(files int, askAck string) error {
	return w.deliver(files, askAck != "")
}

func (w *World) counterpartSentMany(documents int) error {
	for range documents {
		if err := w.deliver(1, false); err != nil {
			return err
		}
	}
	return nil
}

// deliver has the counterpart send the system under test a document with its files signed by the
// counterpart's certificate, as its СЭД would, straight into the router.
func (w *World) deliver(n int, askAck bool) error {
	files := sampleFiles(n)
	var transfers []map[string]any
	for name, data := range files {
		sig, err := cms.SignDetached(w.suite.counterpart, data)
		if err != nil {
			return err
		}
		transfers = append(transfers, map[string]any{"name": name, "type": path.Ext(name), "description": "Основной файл",
			"data":      map[string]string{"referenceid": name},
			"signature": []map[string]string{{"keyid": fmt.Sprintf("%x", w.suite.counterpart.Certificate.SerialNumber), "value": base64.StdEncoding.EncodeToString(sig), "signer": smdo.CounterpartName}}})
	}
	acknow := 0
	if askAck {
		acknow = 2
	}
	number := len(w.delivered) + 1
	pkg := map[string]any{
		"dateSent": time.Now().UTC().Format(time.RFC3339),
		"to":       []map[string]string{{"idAbonent": w.sut.ID, "typeAbonent": "SMDO", "name": w.sut.Name}},
		"body": map[string]any{"envelop": map[string]any{
			"type": "SDIP-2.1.1", "msg_id": uuid.NewString(), "dtstamp": time.Now().UTC().Format(time.RFC3339),
			"subject": fmt.Sprintf("02-07/%d от %s", number, time.Now().Format("2006-01-02")),
			"header": map[string]any{
				"sender":     map[string]string{"id": smdo.CounterpartCode, "name": smdo.CounterpartName},
				"receiver":   []map[string]string{{"id": w.sut.Code, "name": w.sut.Name}},
				"msg_type":   1,
				"msg_acknow": acknow,
			},
			"body": map[string]any{"document": map[string]any{
				"idnumber": fmt.Sprintf("%s_%d", smdo.CounterpartCode, number), "kind": sampleKind, "type": 0, "pages": 1,
				"title":       "Письмо контрагента",
				"regNumber":   map[string]string{"value": fmt.Sprintf("02-07/%d", number), "regdate": time.Now().Format("2006-01-02")},
				"docTransfer": transfers,
			}},
		}},
	}
	raw, err := json.Marshal(pkg)
	if err != nil {
		return err
	}
	p, err := w.contour.Router.Deliver(smdo.CounterpartID, raw, files)
	if err != nil {
		return msg.Errorf("the counterpart's document: %w", err)
	}
	w.delivered = append(w.delivered, p)
	return nil
}
