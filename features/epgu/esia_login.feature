@role-epgu-client @ESIA-OAUTH
Feature: A citizen signs in to the agency's system through ESIA
  A person reaches the agency's system with an ESIA account: the system sends the browser to ESIA's
  /aas/oauth2/v2/ac with a client_secret, a detached signature by its registered certificate over
  client_id, scope, timestamp, state and redirect_uri; ESIA sends the browser back to the
  redirect_uri with a code and the state, and the system exchanges the code at /aas/oauth2/v3/te,
  signing the same fields and the code. The harness makes the system start a sign-in through its
  trigger, plays the citizen's browser (ESIA's simulated citizen consents at once) and judges from
  what ESIA received; it also brings the system a callback with a state it never sent, which must
  not be taken for the citizen's.

  Background:
    Given the EPGU test contour runs with the demonstration service
    And the system under test is registered in ESIA with its certificate and holds its API key

  @ESIA-OAUTH
  Scenario: A citizen signs in through ESIA's authorisation-code flow
    When the system under test is made to sign a citizen in through ESIA
    Then ESIA issued the system an authorisation code for a request signed by its registered certificate
    And the system exchanged no code for a callback whose state it had not sent
    And the system exchanged the code for an access token at ESIA
