// Every string the two pages show, in one table (one language today: the
// table is what a translation replaces). Static text in the HTML is filled
// from here by `data-text="section.key"`; functions take the values they
// insert. Nothing here is HTML: the pages set it as text only.

export const LANG = 'en';

// "123 456" -> "1 2 3 4 5 6": what a screen reader reads, digit by digit.
export function spokenDigits(code) {
  return String(code).replace(/\D/g, '').split('').join(' ');
}

export const STRINGS = {
  common: {
    siteName: 'qrlogin demo',
    confirm: 'Confirm',
    noMatch: 'It doesn\u2019t match',
    codePrefix: 'Code ',
    unsupportedTitle: 'This page cannot run here',
    // No secure context: WebCrypto and the camera are hidden by the browser.
    insecure: (origin) =>
      `This page was opened over plain http from another computer (${origin}), so the browser ` +
      'hides the cryptography (and the camera) it needs. Open it over https:// \u2014 serve the application ' +
      'with TLS, see the README\u2019s TLS recipe \u2014 or, on the computer running the application, open ' +
      'it as http://localhost or http://127.0.0.1.',
    noX25519: 'This browser lacks the X25519 key exchange in WebCrypto (Chrome 133, Firefox 130 and ' +
      'Safari 17 have it). Please update your browser and reload this page.',
    otherUnsupported: (message) => `This browser cannot run qrlogin: ${message}.`,
    failed: (message) => `The login failed: ${message}.`,
    // Appended when it ended after the codes were exchanged (the library's
    // possible_attack): the reason stands, and so does the warning.
    maybeAttack: ' It ended after the codes were shown, which is also how an attack would look: ' +
      'if you did not expect this, do not trust this pairing.',
    // This device's own connection to the relay dropped; it is being resumed.
    reconnecting: 'Connection lost \u2014 reconnecting\u2026',
    qrHelp: 'How it works: the code is end to end encrypted; the relay in between sees nothing.',
    justNow: 'just now',
    secondsAgo: (n) => (n === 1 ? '1 second ago' : `${n} seconds ago`),
    minutesAgo: (n) => (n === 1 ? '1 minute ago' : `${n} minutes ago`),
    hoursAgo: (n) => (n === 1 ? '1 hour ago' : `${n} hours ago`),
    unknownDevice: 'an unknown device',
    // The live notices (GET /api/events) on both pages.
    noticesHeading: 'New logins',
    newLogin: (device, network, approver, when) =>
      `New login: ${device}, network ${network}, approved by ${approver}, ${when} \u2014 Not you? Revoke it.`,
    newLoginStatus: (device, network, approver) =>
      `New login to your account: ${device}, network ${network}, approved by ${approver}. Not you? Revoke it below.`,
    // A login that no device approved (the password).
    newPasswordLogin: (device, network, when) =>
      `New login: ${device}, network ${network}, with the password, ${when} \u2014 Not you? Revoke it.`,
    newPasswordLoginStatus: (device, network) =>
      `New login to your account: ${device}, network ${network}, with the password. Not you? Revoke it below.`,
    noticeRevoke: 'Revoke',
    noticeRevokeNamed: (name) => `Revoke the new login: ${name}`,
    noticeDismiss: 'Dismiss',
    noticeDismissNamed: (name) => `Dismiss the notice about ${name}`,
    noticeRevoked: (name) => `${name} was logged out.`,
    noticeRevokeFailed: (name, message) => `${name} could not be logged out (${message}).`,
  },
  desktop: {
    title: 'qrlogin \u2014 log in with your phone',
    heading: 'Log in with your phone',
    intro: 'Scan this code with the phone where you are already logged in. Nothing is typed, ' +
      'and the relay in between sees nothing but encrypted bytes.',
    qrLabel: 'QR code with the login link. Scan it with your phone\u2019s camera.',
    preparing: 'Preparing a new code\u2026',
    waiting: 'Waiting for your phone. Scan the code with its camera.',
    expiresIn: (text) => `This code expires in ${text}.`,
    expiredNow: 'This code has expired.',
    linkSummary: 'No camera? Use the link instead',
    linkLabel: 'Login link',
    copyLink: 'Copy link',
    copied: 'Link copied.',
    phoneWarning: (host) =>
      `This code points at ${host}, which only this computer can reach. To use a phone, start the ` +
      'application and the relay with TLS on their network address (see the README).',
    phoneConnected: 'Your phone is connected. It will show a code in a moment.',
    phoneLeft: 'Your phone lost its connection. Waiting for it to come back\u2026',
    phoneBack: 'Your phone is back.',
    codeHeading: 'Does your phone show this code?',
    codeHelp: 'Press Confirm only if the code on your phone is exactly the same.',
    compare: (code) => ['Compare the code: does your phone show ', { code }, '? Then press Confirm.'],
    confirmedWaiting: 'Confirmed. Waiting for your phone to confirm too\u2026',
    delivering: 'Logging in\u2026',
    loggedInHeading: 'You are logged in',
    loggedInAs: (label) => `Logged in as ${label}`,
    loggedInStatus: (label) => `Logged in as ${label}.`,
    loggedInNote: 'This browser has its own session, listed on your phone, where you can also log it out.',
    thisDevice: (name) => `This device: ${name}`,
    unnamed: 'an unnamed account',
    unnamedDevice: 'an unnamed device',
    loggedOut: 'You logged out. Scan this code to log in again.',
    loggedOutWhy: (why) => `You were logged out: ${why}. Scan this code to log in again.`,
    logOutFailed: (message) => `Logging out failed: ${message}. Try again.`,
    noRelay: 'This application has no relay configured, so it cannot show a login code. ' +
      'Start qrlogin-app with --relay ws://HOST:PORT (the relay\u2019s address).',
    appUnreachable: (message) => `The application did not answer (${message}). Reload this page to try again.`,
    registrationFailed: (message) => `The application refused this code (${message}). Show a new code to try again.`,
    notAGrant: 'this is not a login from this application',
    otherApp: (app) => `this login is for another application (${app})`,
    notRegistered: 'this code was not registered with the application',
    refused: (reason) => `The login was refused: ${reason}. Nothing was stored; show a new code to try again.`,
    logOut: 'Log out',
    intrusion: 'Someone else scanned this code, so it was thrown away. Here is a new code: ' +
      'scan it only with your own phone.',
    expired: 'The code expired. Here is a new one.',
    expiredStopped: 'The code expired. Show a new code when you are ready.',
    // Also when the relay stayed unreachable until the code's lifetime was
    // over: whether the code expired, only the relay could have said.
    connectionLost: 'The connection to the relay was lost, so the login did not complete. ' +
      'Check this computer\u2019s network, then show a new code.',
    mismatch: 'The codes did not match, so nothing was stored. If you did not start this, ' +
      'someone may have tried to log you in to their account.',
    cancelled: 'The login was cancelled on your phone. Nothing was stored.',
    newCode: 'Show a new code',
  },
  typed: {
    // The new device: pairing by a typed code (no camera on the phone).
    useCode: 'Can\u2019t scan? Use a code',
    heading: 'Type this code on your logged-in device',
    help: 'Open this site on a device where you are logged in, choose \u201cEnter a code\u201d and type ' +
      'these 14 digits. Never read this code to anyone, and never send it: whoever types it can log this device in.',
    codeLabel: (spoken) => `Code: ${spoken}`,
    readOut: 'Read it out',
    readOutHint: 'It is read one digit at a time. Use headphones if anyone could overhear.',
    noSpeech: 'This browser cannot read aloud.',
    newCode: 'New code',
    preparing: 'Making a code\u2026',
    waiting: 'Waiting for the code to be typed on your other device.',
    announce: 'New code: ',
    expiresIn: (time) => `This code is valid for ${time} minutes.`,
    wrongCode: 'A wrong code was entered on another device (a typo, or someone guessing).',
    otherFailure: 'The last attempt with this code failed.',
    freshCode: 'Here is a fresh code.',
    tooMany: 'Three attempts with a code failed, so this device stopped offering codes. If that was not you, ' +
      'someone may be guessing. Choose Start again when you are ready.',
    startAgain: 'Start again',
    unavailable: 'The relay cannot offer a code right now. Scan the QR code instead, or try again later.',
    verified: 'A device entered the correct code. Waiting for it to confirm\u2026',
    acceptHeading: 'Accept this login?',
    answerBelow: 'A device entered the code and sent its login: answer the question below.',
    acceptQuestion: (label) => `Did you just enter this code on your own device, and does it say ` +
      `\u2018Code accepted\u2019? Accept the login from ${label}?`,
    accept: 'Accept the login',
    refuse: 'Refuse',
    refusedByYou: 'You refused the login. Nothing was logged in.',
    unnamedSender: 'an unnamed device',
    stopped: (message) => `The code login ended: ${message}`,
  },
  phone: {
    title: 'qrlogin \u2014 log in another device',
    heading: 'Log in another device',
    siteIntro: (site) => `You are logging in to ${site} on another device with this phone.`,
    accountHeading: 'Your account',
    accountIs: (name) => `Logged in here as ${name}.`,
    noAccount: 'Log in to your account on this phone, or sign up, to log in other devices with it.',
    nameLabel: 'Your name',
    passwordLabel: 'Password',
    logIn: 'Log in',
    signUp: 'Sign up',
    logOut: 'Log out',
    nameMissing: 'Type your account name first.',
    passwordMissing: 'Type your password first.',
    signingUp: 'Creating your account\u2026',
    loggingIn: 'Logging in\u2026',
    signedUp: (name) => `Account ${name} created; you are logged in on this phone.`,
    loggedIn: (name) => `Logged in as ${name}.`,
    nameTaken: 'This name is taken. Choose another, or log in if it is yours.',
    loginFailed: 'Wrong name or password.',
    rateLimited: (seconds) => `Too many attempts. Try again in ${seconds} seconds.`,
    appUnreachable: (message) => `The application did not answer (${message}). Try again.`,
    accountRefused: (message) => `Refused: ${message}.`,
    notLoggedIn: 'The application did not keep you logged in (does this browser refuse cookies?).',
    logOutFailed: (message) => `Logging out failed: ${message}. Try again.`,
    loggedOut: 'You logged out on this phone.',
    loggedOutWhy: (why) => `You were logged out: ${why}. Log in again to continue.`,
    needAccount: 'Log in or sign up first; then the login continues.',
    checking: 'Checking this code with the application\u2026',
    unknownCode: 'Refused: the application does not know this code, so it was not shown by this site. ' +
      'Nothing can be approved; show a new code on the other device.',
    codeExpired: 'Refused: this code has expired. Nothing can be approved; show a new code on the other device.',
    codeUsed: 'Refused: this code was already used to log a device in. Nothing can be approved.',
    noApprovalRule: 'it did not say how this login may be approved',
    lookupFailed: (message) => `The application could not check this code (${message}). Nothing was approved.`,
    // Who is asking: what the application saw when the other device made its code.
    contextHeading: 'Who is asking',
    requester: (device, when) => `Logging in: ${device}, code made ${when}.`,
    sameAddress: (network) => `On this network: the same address as this phone (${network}).`,
    sameNetwork: (network) => `On this network (${network}), like this phone.`,
    otherNetwork: (requester, approver) =>
      `Warning: the device asking is not near this phone. It is on another network (${requester}; this ` +
      `phone: ${approver}). Someone may be trying to trick you into logging them in to your account. ` +
      'Only continue if this is your own device somewhere else.',
    otherNetworkRefused: (requester) =>
      `Refused: the device asking is on another network (${requester}) than this phone, and this site does ` +
      'not allow approving such a login. Nothing can be approved: log in with your password on that ' +
      'device instead. If you did not start this, someone tried to log in to your account: do nothing.',
    deliberateHeading: 'Is this your own device, somewhere else?',
    deliberateHelp: 'This phone does not show the code this time. If it is your device, look at its ' +
      'screen and type the code it shows: only someone who can see that screen can do it.',
    deliberateStatus: (requester) =>
      `Warning: the device asking is on another network (${requester}), not near this phone. ` +
      'Only continue if it is your own device somewhere else; otherwise press Cancel.',
    elsewhere: 'This is my device, somewhere else',
    notMine: 'Cancel: it is not mine',
    typedLabel: 'The code on the other screen',
    typedSubmit: 'Log it in',
    typeTheCode: 'Type the 6-digit code that the other screen shows, then press Log it in.',
    typeSixDigits: 'Type the 6 digits that the other screen shows.',
    typedWrong: 'The code you typed is not the one on the other screen, so nothing was sent. If someone ' +
      'told you a code to type, they were trying to log in to your account.',
    notMineEnded: 'Cancelled: nothing was sent. If someone asked you to scan that code, they were trying ' +
      'to log in to your account.',
    approving: 'Approving the login\u2026',
    grantRefused: (message) => `The application refused to approve this login (${message}). Nothing was sent.`,
    devicesHeading: 'Your devices',
    devicesIntro: 'Every device logged in to your account. Log out any you do not recognise.',
    refreshDevices: 'Refresh the list',
    devicesRefreshed: 'The device list is up to date.',
    devicesFailed: (message) => `The device list could not be loaded (${message}).`,
    addedByQr: (approver) => `added by QR code, approved by ${approver}`,
    addedBySignup: 'signed up here',
    addedByPassword: 'logged in with the password',
    thisDeviceNamed: (name) => `${name} (this device)`,
    historyHeading: 'Recent activity',
    historyQr: (name, approver, network, when) =>
      `${name} logged in by QR code, approved by ${approver}, network ${network}, ${when}`,
    historySignup: (name, when) => `${name} signed up, ${when}`,
    historyPassword: (name, network, when) => `${name} logged in with the password, network ${network}, ${when}`,
    historyRevoked: (name, when) => `${name} was revoked, ${when}`,
    historyLogout: (name, when) => `${name} logged out, ${when}`,
    historyIdle: (name, when) => `${name} was logged out after going unused, ${when}`,
    created: (when, address) => `added ${when} from ${address}`,
    lastSeen: (when, address) => `last seen ${when} from ${address}`,
    revoke: 'Revoke',
    revokeNamed: (name) => `Revoke ${name}`,
    revokeFailed: (name, message) => `${name} could not be logged out (${message}).`,
    revoked: (name) => `${name} was logged out. It is refused at its next request.`,
    scanHeading: 'Scan the code on the other device',
    scanIntro: 'Open this page\u2019s camera scanner and point it at the QR code on the other screen.',
    startCamera: 'Start the camera',
    stopCamera: 'Stop the camera',
    videoLabel: 'Camera view',
    cameraStarting: 'Starting the camera\u2026',
    cameraOn: 'The camera is on. Point it at the QR code.',
    cameraFailed: (message) => `The camera could not start: ${message}`,
    noCamera: 'This browser gives this page no camera. Paste the link instead.',
    pasteLabel: 'Or paste the login link',
    useLink: 'Use this link',
    notQrlogin: 'This QR code is not a qrlogin code.',
    otherSite: (origin, site) =>
      `Refused: this code is for another site (${origin}). Only scan codes shown by ${site}; ` +
      'a code that leads elsewhere may be a phishing attempt.',
    badLink: (message) => `This link cannot be used: ${message}.`,
    connecting: 'Connecting\u2026',
    waitingOther: 'Waiting for the other device\u2026',
    otherConnected: 'Connected to the other device.',
    otherLeft: 'The other device lost its connection. Waiting for it to come back\u2026',
    otherBack: 'The other device is back.',
    // Pairing by a typed code.
    enterCodeHeading: 'Enter a code',
    enterCodeLabel: 'The 14-digit code shown on the new device',
    enterCodeWarning: 'Enter a code only from a screen in front of you. Never enter a code someone sent you or read to you.',
    enterCodeSubmit: 'Continue',
    codeChars: 'A code has only digits. Check what you typed.',
    codeLength: (n) => `A code has 14 digits; this has ${n}.`,
    codeCheck: 'This code has a typo: check it against the screen. Nothing was sent.',
    codeSpent: 'This code can\u2019t be used again. Choose New code on the new device.',
    codeInUse: 'Someone else entered this code first. Reject the login on the new device.',
    noSuchCode: 'No device shows this code now.',
    wrongCode: 'The code was not accepted: mistyped, expired, or someone interfered.',
    codeChecking: 'Checking the code\u2026',
    codeAcceptedHeading: 'Code accepted',
    codeAccepted: (account) => `Code accepted. Log in the device showing this code as ${account}? ` +
      'Only if that device is in front of you.',
    logInThat: 'Log it in',
    dontLogIn: 'Don\u2019t',
    codeHeading: 'Does the other screen show this code?',
    codeHelp: 'Press Confirm only if it is exactly the same. Your login is sent only then.',
    compare: (code) => ['Compare the code: does the other screen show ', { code }, '? Then press Confirm.'],
    sending: 'Sending your login\u2026',
    doneHeading: 'Done',
    failedHeading: 'Not logged in',
    done: (name) => `The other device is now logged in as ${name}.`,
    refused: (reason) => `The other device refused the login (${reason}).`,
    intrusion: 'This code was already used by someone else, so nothing was sent. ' +
      'Show a new code on the other device and scan that one.',
    expired: 'This code has expired or was already used, so nothing was sent. ' +
      'Show a new code on the other device and scan that one.',
    connectionLost: 'The connection to the relay was lost, so nothing was sent. ' +
      'Check this phone\u2019s network, then scan a new code.',
    connectionLostAfterSend: 'The connection to the relay was lost after your login was sent. ' +
      'Check on the other device whether it is logged in.',
    mismatch: 'The codes did not match, so nothing was sent.',
    mismatchAfterSend: 'The other screen said the codes did not match, so it threw your login away unused.',
    cancelled: 'The other device cancelled the login. Nothing was sent.',
    scanAgain: 'Scan another code',
  },
};
