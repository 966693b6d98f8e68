@role-gospochta-sender
Feature: The agency's system sends legally significant messages through Gospochta
  The walkthrough's four stages of a legally significant send: the sender authenticates with its
  electronic signature (an OAuth 2.0 token obtained with a JWT it signs, renewed by refresh, for the
  role operator or administrator), forms a message of a typed kind to a recipient, signs the
  document (its hash kept in a registry) and sends it with the personal-data fields encrypted for
  the recipient (AES-256-GCM) and every packet protected by HMAC-SHA-256, over TLS 1.3 with its own
  certificate; Gospochta delivers it, issues a signed act of acceptance and tells the sender of the
  states delivered and read. No official source describes this API: the figures and mechanisms are
  the walkthrough's, the paths and fields this profile's own. The harness makes the system under
  test send through its trigger and judges from what the simulated Gospochta and ESIA received.

  Background:
    Given the Gospochta contour runs with its recipients

  @GP-W-AUTH @GP-W-MTLS @GP-W-ROLE @GP-W-SIGN @GP-W-ENC @GP-W-HMAC @GP-W-KIND @GP-W-RECEIPT @GP-W-AUDIT
  Scenario Outline: A <kind> reaches its recipient and the sender holds the signed act of acceptance
    Given the system under test is registered with the roles operator, head and client
    When the system under test is made to send a "<kind>" to recipient "R-0001"
    Then every request of the system under test came over TLS 1.3 with its registered certificate
    And the system under test got its tokens with JWT assertions signed by its certificate, for the role operator or administrator
    And every packet of the system under test carried a valid HMAC and a request id of its own
    And the document of every message is signed by the system under test and its hash is in the registry
    And the personal data of every message decrypt with the recipient's key to what the system under test was given
    And Gospochta accepted every message of the system under test as a "<kind>" to its recipient
    And the system under test took the act of acceptance of every message it sent
    And the audit log holds every request the system under test reported, with its time and status
    And the system under test reported the message delivered, holding a verified act of acceptance

    Examples:
      | kind              |
      | court-notice      |
      | bankruptcy-notice |
      | order             |

  @GP-W-STATES @GP-W-DELIVERY
  Scenario: The sender is told of delivery and of reading, and confirms delivery within 5 minutes
    Given the system under test is registered with the roles operator, head and client
    When the system under test is made to send a "court-notice" to recipient "R-0002"
    And the recipient reads the message
    Then Gospochta pushed the states delivered and read to the system under test, which acknowledged each
    And the system under test took the act of acceptance of every message within 5 minutes of sending

  @GP-W-REFRESH
  Scenario: An expired token is renewed by refresh, without a new login
    Given the system under test is registered with the roles operator, head and client
    When the system under test is made to send a "order" to recipient "R-0001"
    And ESIA lets the tokens of the system under test expire
    And the system under test is made to send a "order" to recipient "R-0002"
    Then after its token expired the system under test renewed it with its refresh token, not a new assertion
    And the system under test reported the message delivered, holding a verified act of acceptance

  @GP-W-ROLE
  Scenario: A system whose employee may not send is refused and says so
    Given the system under test is registered with the role client only
    When the system under test is made to send a "court-notice" to recipient "R-0001"
    Then Gospochta holds no message of the system under test
    And the system under test reported the send failed

  @GP-W-RECEIPT
  Scenario: An act of acceptance whose signature does not verify is refused by the sender
    Given Gospochta signs its acts of acceptance with a certificate of another CA
    And the system under test is registered with the roles operator, head and client
    When the system under test is made to send a "order" to recipient "R-0001"
    Then the system under test refused the act of acceptance, not reporting the message delivered

  @load @GP-W-DELIVERY @GP-W-FAILRATE
  Scenario: Under load every message is confirmed within 5 minutes and at most 0.1 % of sends fail
    Given the system under test is registered with the roles operator, head and client
    When the system under test is made to send 200 messages at 20 a second
    Then at most 0.1 % of the sends failed
    And the system under test took the act of acceptance of every message within 5 minutes of sending
