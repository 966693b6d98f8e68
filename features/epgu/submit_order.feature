@role-epgu-client
Feature: The agency's system submits an order with its archive
  An order travels as a flat zip archive: the transport file req.xml, the business XML named by
  the service's specification and valid against its schema, and attachments; with a qualified
  signature every file has its detached signature <file>.sig. An archive of at most 50 000 000
  bytes may go in one call (/push); a larger one goes in chunks (/order, then /push/chunked):
  every chunk but the last of 5 000 000 to 50 000 000 bytes, the first chunk first and the last
  last, all within 5 minutes of the first. The gateway then checks the archive and reports the
  processing status (Appendix 1). The harness makes the system under test submit through its
  trigger and judges from what the simulated API received.

  Background:
    Given the EPGU test contour runs with the demonstration service
    And the system under test is registered in ESIA with its certificate and holds its API key

  @EPGU-2.1.4 @EPGU-A1 @WALK-SIG
  Scenario: A small archive goes in a single call and passes the checks
    When the system under test is made to submit an order for the demonstration service in a single call
    Then the EPGU API received one archive of the system under test in a single call
    And the archive of the system under test is a flat zip with req.xml and a business XML its schema accepts
    And every file in the archive of the system under test has a detached signature that verifies, with a time stamp
    And the order of the system under test reaches the processing status "DONE"

  @EPGU-2.1.2 @EPGU-2.1.3 @EPGU-A1
  Scenario: A large archive goes in chunks within the rules of the chunked upload
    When the system under test is made to submit an order for the demonstration service with a 12000000-byte attachment in chunks
    Then the system under test created the order before its first chunk
    And every chunk of the system under test but the last held 5 000 000 to 50 000 000 bytes
    And every chunk of the system under test came within 5 minutes of its first
    And the chunks of the system under test came first chunk first and last chunk last
    And the order of the system under test reaches the processing status "DONE"

  @WALK-XSD @EPGU-A1
  Scenario: The system does not send a business XML its schema refuses
    When the system under test is made to submit an invalid business XML for the demonstration service
    Then the EPGU API received no archive from the system under test whose business XML the schema refuses
