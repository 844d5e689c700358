import { queryPhotoDoor } from './user-photo-route.js';

/**
 * OWA's photo URLs, `/owa/service.svc/s/GetPersonaPhoto?email=…&UA=0&size=HR96x96[&sc=…]`
 * and `/owa/service.svc/s/GetUserPhoto`: the same query, answers, ETags and rules as the
 * EWS REST URL (OWA adds `UA` and `sc`, cache busters that change nothing).
 */
const OWA_PHOTO_PATHS = ['/owa/service.svc/s/getpersonaphoto', '/owa/service.svc/s/getuserphoto'] as const;

export const OWA_PHOTO_DOOR = queryPhotoDoor('owa', OWA_PHOTO_PATHS);
