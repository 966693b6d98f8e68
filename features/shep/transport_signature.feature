@transport @R-53 @R-56 @R-57 @R-2.14
Feature: Transport signatures (clauses 53-59, Appendix 6)
  Every message on the gateway carries the transport signature of its sender: a WS-Security XML
  signature over the SOAP Body, made with the sender's EDS registration certificate from the NCA.
  The gateway verifies that the signature belongs to the registered sender and that the certificate
  is valid, online by OCSP or by the CRL, then re-signs the message with its own certificate and
  hands it on. No timestamp is involved.

  Background:
    Given the gateway runs with the timing limits of the Rules
    And the system "INITIATOR_SYS" is registered with the password "init-secret"
    And the owner system "OWNER_SYS" serves "TEST_SERVICE_ID" on the synchronous channel
    And "INITIATOR_SYS" is granted access to "TEST_SERVICE_ID"

  @R-54 @R-58 @R-59 @A6-S1 @A6-S2
  Scenario Outline: A request signed by the registered sender with a valid <key> certificate is delivered
    Given "INITIATOR_SYS" signs with a <key> certificate
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID"
    Then the initiator receives the owner's answer
    And the journal shows the signature of "INITIATOR_SYS" checked by OCSP
    And the owner received the request signed by the gateway
    And the answer carries the gateway's valid transport signature
    And the run records no remark

    Examples:
      | key              |
      | RSA-2048         |
      | ECDSA P-256      |
      | GOST 34.310-2004 |

  @R-54 @R-58 @A6-S2
  Scenario Outline: The gateway finds the sender's certificate named by <reference>, and its evidence says so
    # Clients name the signer's certificate in different ways: the real gateway's KeyIdentifier
    # (X509v3), a BinarySecurityToken reference, an inline ds:X509Data, or only the issuer and serial
    # number of a certificate the gateway holds, registered for the system.
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID" naming its certificate by <reference>
    Then the initiator receives the owner's answer
    And the gateway found the certificate of "INITIATOR_SYS" by its <reference>
    And the run records no remark

    Examples:
      | reference           |
      | KeyIdentifier       |
      | BinarySecurityToken |
      | X509Data            |
      | IssuerSerial        |

  @R-54 @A6-S2
  Scenario: A certificate named by issuer and serial number but not registered for the system is refused
    Given "INITIATOR_SYS" signs with a new certificate not registered with the gateway
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID" naming its certificate by IssuerSerial
    Then the initiator receives a fault with code "SCE006"
    And the fault says "certificate not registered"
    And the owner received no request

  @R-59
  Scenario: An unsigned request is refused
    When "INITIATOR_SYS" sends an unsigned request to "TEST_SERVICE_ID"
    Then the initiator receives a fault with code "SCE007"
    And the fault cites "R-59"
    And the owner received no request
    And the journal records the exchange as "REJECTED" with code "SCE007" and rule "R-59"

  @R-53 @A6-S2
  Scenario: A request altered after it was signed is refused
    When "INITIATOR_SYS" sends a signed request to "TEST_SERVICE_ID" altered after signing
    Then the initiator receives a fault with code "SCE006"
    And the fault says "altered after it was signed"
    And the owner received no request

  @R-53 @A6-S2
  Scenario: A request signed with a key other than its certificate's is refused
    # Every digest is right; only the signature value, checked against the key of the certificate
    # it names, shows that the holder of that certificate did not sign.
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID" signed with a key other than its certificate's
    Then the initiator receives a fault with code "SCE006"
    And the fault says "does not verify with the certificate"
    And the owner received no request

  @R-54 @R-58
  Scenario: A request signed with the certificate of another organisation is refused
    Given "INITIATOR_SYS" signs with a certificate of another organisation
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID"
    Then the initiator receives a fault with code "SCE011"
    And the fault cites "R-54"
    And the owner received no request
    And the journal records the exchange as "REJECTED" with code "SCE011" and rule "R-54"

  @R-58 @A6-S2
  Scenario: A request signed with a revoked certificate is refused on the OCSP answer
    Given the certificate of "INITIATOR_SYS" is revoked
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID"
    Then the initiator receives a fault with code "SCE005"
    And the fault says "OCSP says the certificate"
    And the owner received no request

  @R-58 @A6-S2
  Scenario: With the OCSP responder down, a revoked certificate is found on the CRL
    Given the certificate of "INITIATOR_SYS" is revoked
    And the NCA's OCSP responder is down
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID"
    Then the initiator receives a fault with code "SCE005"
    And the fault says "the CRL lists the certificate"
    And the owner received no request

  @R-58 @A6-S2
  Scenario: With the OCSP responder down, a valid certificate is checked against the CRL
    Given the NCA's OCSP responder is down
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID"
    Then the initiator receives the owner's answer
    And the journal shows the signature of "INITIATOR_SYS" checked by CRL

  @R-58 @A6-S2
  Scenario: A certificate the NCA's OCSP responder answers "unknown" for is refused
    # The responder that answers decides: "unknown" is not "good", and the CRL stands in only for a
    # responder that cannot be reached or answers with an error. SCE014: the status of the signing
    # certificate could not be established.
    Given the NCA's OCSP responder answers "unknown" for the certificate of "INITIATOR_SYS"
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID"
    Then the initiator receives a fault with code "SCE014"
    And the fault says "does not know this certificate"
    And the owner received no request
    And the journal records the exchange as "REJECTED" with code "SCE014" and rule "R-58"

  @R-58 @A6-S2
  Scenario: A stale OCSP answer is refused
    Given the NCA's OCSP responder answers for the certificate of "INITIATOR_SYS" with an answer past its nextUpdate
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID"
    Then the initiator receives a fault with code "SCE014"
    And the fault says "is stale: its nextUpdate"
    And the owner received no request

  @R-58 @A6-S2
  Scenario: An OCSP answer with the nonce of another request is refused
    # The gateway's request carries a fresh nonce (RFC 8954): an answer echoing another one answers
    # another request, and may be replayed.
    Given the NCA's OCSP responder answers for the certificate of "INITIATOR_SYS" with the nonce of another request
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID"
    Then the initiator receives a fault with code "SCE014"
    And the fault says "echoes another nonce"
    And the owner received no request

  @R-58
  Scenario: A request signed with an expired certificate is refused
    Given the certificate of "INITIATOR_SYS" has expired
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID"
    Then the initiator receives a fault with code "SCE005"
    And the fault says "is valid from"
    And the owner received no request

  @R-58
  Scenario: A request signed with a certificate from an unknown certification authority is refused
    Given "INITIATOR_SYS" signs with a certificate from an unknown certification authority
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID"
    Then the initiator receives a fault with code "SCE013"
    And the fault says "does not chain to the NCA"
    And the owner received no request

  @R-58 @A6-S2
  Scenario: A signature wrapping attack is refused
    When "INITIATOR_SYS" sends a signed request to "TEST_SERVICE_ID" wrapped around a forged body
    Then the initiator receives a fault with code "SCE006"
    And the fault says "not the SOAP Body the gateway processes"
    And the owner received no request

  @R-55
  Scenario: A timestamp in the signature header is neither required nor refused
    # Clause 55: the transport signature carries no time stamp. The gateway requires none; a
    # wsu:Timestamp a client's stack adds and signs anyway is accepted, with a remark.
    When "INITIATOR_SYS" sends a signed request to "TEST_SERVICE_ID" with a timestamp in the signature header
    Then the initiator receives the owner's answer
    And the run records the remark "signed-timestamp" with its reason

  @A6-S2
  Scenario: A request signed with RSA-SHA1 is accepted with a remark
    # Widely copied sample code still signs with RSA-SHA1. The real gateway accepts it; the
    # signature's profile uses SHA-256, so the run notes it, and the scenario does not fail.
    Given "INITIATOR_SYS" signs with an RSA-2048 certificate
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID" signed with RSA-SHA1
    Then the initiator receives the owner's answer
    And the run records the remark "rsa-sha1" with its reason

  @A6-S2
  Scenario: A Body referenced by a plain Id instead of wsu:Id is accepted with a remark
    # Older .NET code marks the Body with a plain Id attribute, which the SOAP 1.1 schema allows.
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID" with a plain Id on the Body
    Then the initiator receives the owner's answer
    And the run records the remark "plain-id" with its reason

  @A6-S2
  Scenario: A message signed with GOST R 34.10-2015 is reported as not supported
    # The national CA also issues GOST R 34.10-2015 keys (512-bit); this gateway checks GOST
    # 34.310-2004, the real gateway's algorithm, and says so rather than judging the message forged.
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID" signed with GOST R 34.10-2015
    Then the initiator receives a fault with code "SCE012"
    And the fault says "algorithm not supported"
    And the owner received no request

  @R-59 @A6-S1
  Scenario: The owner's unsigned answer does not reach the initiator
    Given the owner does not sign its answers
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID"
    Then the initiator receives a fault with code "SCE007"
    And the fault says "in the owner's answer"

  @R-54 @A6-S1
  Scenario: An answer signed with another system's certificate does not reach the initiator
    Given the owner signs its answers with the certificate of "INITIATOR_SYS"
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID"
    Then the initiator receives a fault with code "SCE011"
    And the fault says "in the owner's answer"

  @A6-S1 @R-58 @R-2.29
  Scenario: Through the external gateway, each hop verifies the signature of the one before
    Given an external gateway relays "EXTERNAL_SERVICE" to the owner system "FOREIGN_OWNER_SYS"
    And "INITIATOR_SYS" is granted access to "EXTERNAL_SERVICE"
    When "INITIATOR_SYS" sends a request to "EXTERNAL_SERVICE"
    Then the initiator receives the owner's answer
    And the external gateway accepted the request on the gateway's signature
    And the answer carries the gateway's valid transport signature
