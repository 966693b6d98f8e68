package api

import "slices"

// Service is one EPGU service as the simulator offers it through the API.
type Service struct {
	Code       string // serviceCode, the interactive form code (EPGU-T6); eserviceId in the order
	TargetCode string // targetCode, the FRGU target (EPGU-T6); serviceTargetId in the order
	Name       string // serviceName
	Agency     string // the agency's full name: sender of its statuses
	AgencyCode string // stateOrgCode, e.g. "fssp"
	PassportID string // servicePassportId
	// Systems are the client_ids granted the service (EPGU-A4 access_denied_service); nil grants
	// every system.
	Systems []string
	// NoPowers are client_ids whose orders end CREATE_ORDER_FORBIDDEN: the system has access but no
	// powers or settings for the service (EPGU-1.13, Appendix 1).
	NoPowers []string
	// PersonTypes are the applicant types the service accepts, "PERSON" (a token without an
	// organisation) or "LEGAL"; nil accepts both (EPGU-A4 access_denied_user).
	PersonTypes []string
	// Script overrides the API's agency script for this service.
	Script *Script
}

// DefaultServices are the two services whose specifications the project reads: FSSP 60010153 and
// SFR 10000000109.
func DefaultServices() []Service {
	return []Service{
		{
			Code: "60010153", TargetCode: "-60010153", PassportID: "60010153",
			Name:   "Предоставление информации о наличии исполнительного производства онлайн",
			Agency: "Федеральная служба судебных приставов", AgencyCode: "fssp",
		},
		{
			Code: "10000000109", TargetCode: "-10000000109", PassportID: "600109",
			Name:   "Доставка пенсии и социальных выплат СФР",
			Agency: "Фонд пенсионного и социального страхования Российской Федерации", AgencyCode: "pfr",
		},
	}
}

func (s *Service) grants(clientID string) bool {
	return s.Systems == nil || slices.Contains(s.Systems, clientID)
}

func (s *Service) accepts(personType string) bool {
	return s.PersonTypes == nil || slices.Contains(s.PersonTypes, personType)
}
