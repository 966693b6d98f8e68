package envelope

// Code is a fault code of the gateway, as carried in ErrorInfo.errorCode. The Rules list no codes
// (Appendix 1, O-13); the gateway's codes have the form SCEnnn. Codes seen in public participant code
// keep their meaning and Russian text; the others are assigned by shepconf in the free numbers and
// are marked so in fixtures/README.md.
type Code struct {
	ID      string
	Message string // errorMessage, in the Russian the real gateway's participants use
	Seen    bool   // true when the code was seen in public code working with the real gateway
}

var (
	SCE001 = Code{"SCE001", "Сообщение не соответствует формату", true}
	SCE002 = Code{"SCE002", "Ошибка аутентификации отправителя", false}
	SCE003 = Code{"SCE003", "Отправителю не предоставлен доступ к сервису", false}
	SCE004 = Code{"SCE004", "Сервис не существует", true}
	SCE005 = Code{"SCE005", "Транспортная подпись не актуальная", true}
	SCE006 = Code{"SCE006", "Не верная транспортная подпись", true}
	SCE007 = Code{"SCE007", "Сообщение не подписано", true}
	SCE008 = Code{"SCE008", "Превышено время обработки запроса сервисом", false}
	SCE009 = Code{"SCE009", "Сервис недоступен", false}
	SCE010 = Code{"SCE010", "Ответ сервиса не соответствует формату", false}
	SCE011 = Code{"SCE011", "Транспортная подпись не принадлежит отправителю", false}
	SCE012 = Code{"SCE012", "Алгоритм транспортной подписи не поддерживается", false}
	SCE013 = Code{"SCE013", "Сертификат подписи выдан не НУЦ РК", false}
	SCE014 = Code{"SCE014", "Не удалось проверить статус сертификата подписи", false}
	SCE909 = Code{"SCE909", "Внутренняя ошибка шлюза", true}
)

// Codes lists every code the gateway simulator can return, in order.
var Codes = []Code{SCE001, SCE002, SCE003, SCE004, SCE005, SCE006, SCE007, SCE008, SCE009, SCE010,
	SCE011, SCE012, SCE013, SCE014, SCE909}

// Endpoint paths of the real gateway: an agency's client changes only host and port.
const (
	SyncPath  = "/bip-sync-wss-gost/"
	AsyncPath = "/bip-async"
)

// Codes of the asynchronous channel, assigned by shepconf (not seen in public code; SCE015-SCE017 are
// taken by the business-data signature codes seen in participants' code).
var (
	SCE020 = Code{"SCE020", "Сообщение или цепочка сообщений не найдены", false}
	SCE021 = Code{"SCE021", "Отправитель не является участником сообщения", false}
)

// SCE022 refuses a replayed message, assigned by shepconf.
var SCE022 = Code{"SCE022", "Сообщение с таким идентификатором уже принято", false}

// Codes of the REST channel, assigned by shepconf.
var (
	SCE030 = Code{"SCE030", "Сообщение не удалось расшифровать", false}
	SCE031 = Code{"SCE031", "REST-сервисы доступны только по HTTPS", false}
)

func init() { Codes = append(Codes, SCE020, SCE021, SCE022, SCE030, SCE031) }
