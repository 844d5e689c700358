/**
 * The Graph resource types `$select` names properties of, as Microsoft's resource pages list
 * them (microsoftgraph/microsoft-graph-docs-contrib, api-reference/v1.0/resources/{user,contact,contactfolder,person}.md,
 * their Properties and Relationships tables; user's as of its January 2025 page): a name among
 * them is a property a client may ask — answered null when the bridge keeps nothing for it,
 * left out when it is a relationship, which `$select` does not expand —, any other is Graph's 400.
 */
export interface GraphType {
  /** The type as Graph's errors name it. */
  readonly name: string;
  /** Lower case: Graph reads `$select` names in any case. */
  readonly properties: ReadonlySet<string>;
  readonly relationships: ReadonlySet<string>;
}

function graphType(name: string, properties: string, relationships: string): GraphType {
  const names = (list: string) =>
    new Set(
      list
        .split(/\s+/)
        .filter(Boolean)
        .map((property) => property.toLowerCase()),
    );
  return { name, properties: names(properties), relationships: names(relationships) };
}

export const GRAPH_USER = graphType(
  'microsoft.graph.user',
  `aboutMe accountEnabled ageGroup assignedLicenses assignedPlans birthday businessPhones city companyName
   consentProvidedForMinor country createdDateTime creationType customSecurityAttributes deletedDateTime department
   displayName employeeHireDate employeeLeaveDateTime employeeId employeeOrgData employeeType externalUserState
   externalUserStateChangeDateTime faxNumber givenName hireDate id identities imAddresses interests
   isManagementRestricted isResourceAccount jobTitle lastPasswordChangeDateTime legalAgeGroupClassification
   licenseAssignmentStates mail mailboxSettings mailNickname mobilePhone mySite officeLocation
   onPremisesDistinguishedName onPremisesDomainName onPremisesExtensionAttributes onPremisesImmutableId
   onPremisesLastSyncDateTime onPremisesProvisioningErrors onPremisesSamAccountName onPremisesSecurityIdentifier
   onPremisesSyncEnabled onPremisesUserPrincipalName otherMails passwordPolicies passwordProfile pastProjects
   postalCode preferredDataLocation preferredLanguage preferredName provisionedPlans proxyAddresses
   refreshTokensValidFromDateTime responsibilities serviceProvisioningErrors schools securityIdentifier
   showInAddressList signInActivity signInSessionsValidFromDateTime skills state streetAddress surname
   usageLocation userPrincipalName userType`,
  `activities adhocCalls agreementAcceptances appRoleAssignments authentication calendar calendarGroups calendars
   calendarView cloudPCs contactFolders contacts createdObjects dataSecurityAndGovernance directReports drive drives
   events extensions inferenceClassification insights licenseDetails mailFolders manager memberOf messages onenote
   onlineMeetings outlook ownedDevices ownedObjects people permissionGrants photo photos planner registeredDevices
   solutions sponsors teamwork todo transitiveMemberOf`,
);

export const GRAPH_CONTACT = graphType(
  'microsoft.graph.contact',
  `assistantName birthday businessAddress businessHomePage businessPhones categories changeKey children companyName
   createdDateTime department displayName emailAddresses fileAs generation givenName homeAddress homePhones id
   imAddresses initials jobTitle lastModifiedDateTime manager middleName mobilePhone nickName officeLocation
   otherAddress parentFolderId personalNotes profession spouseName surname title yomiCompanyName yomiGivenName
   yomiSurname`,
  'extensions multiValueExtendedProperties photo singleValueExtendedProperties',
);

export const GRAPH_CONTACT_FOLDER = graphType(
  'microsoft.graph.contactFolder',
  'displayName id parentFolderId',
  'childFolders contacts multiValueExtendedProperties singleValueExtendedProperties',
);

export const GRAPH_PERSON = graphType(
  'microsoft.graph.person',
  `birthday companyName department displayName scoredEmailAddresses givenName id imAddress isFavorite jobTitle
   officeLocation personNotes personType phones postalAddresses profession surname userPrincipalName websites
   yomiCompany`,
  '',
);
