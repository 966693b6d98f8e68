@role-epgu-client @EPGU-1.1
Feature: The agency's system gets its access token from ESIA
  An organisation's system reaches the EPGU API with an access token that ESIA issues for the
  system's identification key (the API key the technological portal gives as a CSV file). The
  client_secret is a detached signature, by the system's registered certificate, over client_id,
  scope, timestamp, state and redirect_uri; a token carries the scope
  http://lk.gosuslugi.ru/api-order and the APIPGU permission, and every call to the API carries it.
  The harness registers the system under test in the simulated ESIA, gives it its API key and makes
  it submit an order through its trigger; it judges from what ESIA and the API received.

  Background:
    Given the EPGU test contour runs with the demonstration service
    And the system under test is registered in ESIA with its certificate and holds its API key

  @ESIA-B12
  Scenario: The system exchanges its API key for an access token with a signed client_secret
    When the system under test is made to submit an order for the demonstration service in a single call
    Then ESIA issued the system under test an access token for its API key
    And every client_secret of the system under test verified against its registered certificate
    And every call of the system under test to the EPGU API carried an access token ESIA issued to it

  @EPGU-A4 @ESIA-B12
  Scenario: The system gets a new token when the API answers 401 and repeats the call
    Given the EPGU API answers the next call of the system under test with HTTP 401
    When the system under test is made to submit an order for the demonstration service in a single call
    Then after the 401 the system under test got a new access token before it called the API again
    And the order of the system under test reaches the processing status "DONE"
